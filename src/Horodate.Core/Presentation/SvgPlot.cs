using System.Globalization;
using System.Text;
using Horodate.Core.Verification;

namespace Horodate.Core.Presentation;

/// <summary>Draws a verify report as a small SVG: values per second over time, and the largest gap in each second.</summary>
public static class SvgPlot
{
    private const int Width = 1000;
    private const int PanelHeight = 180;
    private const int Margin = 50;
    private const int MaxPoints = 1000;

    /// <summary>The SVG document for <paramref name="report"/>; <paramref name="title"/> is shown at the top.</summary>
    public static string Render(VerifyReport report, string title)
    {
        ArgumentNullException.ThrowIfNull(report);
        var bins = Downsample(report.PerSecond);
        var svg = new StringBuilder();
        var height = (2 * PanelHeight) + (3 * Margin);
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" font-family="sans-serif" font-size="12">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Margin}" y="20" font-size="14">{Escape(title)}: {report.Values:N0} values, {report.ValuesPerSecond:N1}/s on average, peak {report.PeakPerSecond:N0}/s</text>""").Append('\n');
        Panel(svg, bins, Margin, "values per second", b => b.Values, "#2a6fdb");
        Panel(svg, bins, (2 * Margin) + PanelHeight, "largest gap in the second (ms)", b => b.MaxGapMs, "#d9534f");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, List<(long Second, int Values, long MaxGapMs)> bins, int top, string label, Func<(long Second, int Values, long MaxGapMs), double> y, string color)
    {
        var plotWidth = Width - (2 * Margin);
        var max = bins.Count == 0 ? 1 : Math.Max(1, bins.Max(y));
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Margin}" y="{top}" width="{plotWidth}" height="{PanelHeight}" fill="none" stroke="#999"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Margin}" y="{top - 6}">{label} (max {max:N0})</text>""").Append('\n');
        if (bins.Count == 0)
        {
            return;
        }

        var first = bins[0].Second;
        var span = Math.Max(1, bins[^1].Second - first);
        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"");
        foreach (var bin in bins)
        {
            var px = Margin + ((bin.Second - first) * plotWidth / (double)span);
            var py = top + PanelHeight - (y(bin) * PanelHeight / max);
            svg.Append(CultureInfo.InvariantCulture, $"{px:0.#},{py:0.#} ");
        }

        svg.Append("\"/>\n");
        var start = DateTimeOffset.FromUnixTimeSeconds(first).UtcDateTime;
        var end = DateTimeOffset.FromUnixTimeSeconds(bins[^1].Second).UtcDateTime;
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Margin}" y="{top + PanelHeight + 14}">{start:yyyy-MM-dd HH:mm:ss}Z</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width - Margin}" y="{top + PanelHeight + 14}" text-anchor="end">{end:yyyy-MM-dd HH:mm:ss}Z</text>""").Append('\n');
    }

    /// <summary>At most <see cref="MaxPoints"/> points: neighbouring seconds merged (values averaged, gaps maxed).</summary>
    private static List<(long Second, int Values, long MaxGapMs)> Downsample(IReadOnlyList<(long Second, int Values, long MaxGapMs)> bins)
    {
        var step = Math.Max(1, (bins.Count + MaxPoints - 1) / MaxPoints);
        var result = new List<(long, int, long)>();
        for (var i = 0; i < bins.Count; i += step)
        {
            var chunk = bins.Skip(i).Take(step).ToArray();
            result.Add((chunk[0].Second, (int)chunk.Average(b => b.Values), chunk.Max(b => b.MaxGapMs)));
        }

        return result;
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
