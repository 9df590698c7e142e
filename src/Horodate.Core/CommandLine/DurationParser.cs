using System.Globalization;

namespace Horodate.Core.CommandLine;

/// <summary>Parses the durations of the command lines: a number and a unit, <c>50ms</c>, <c>1s</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>.</summary>
public static class DurationParser
{
    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string error)
    {
        duration = default;
        var s = text?.Trim() ?? "";
        var unitStart = s.Length;
        while (unitStart > 0 && char.IsAsciiLetter(s[unitStart - 1]))
        {
            unitStart--;
        }

        var unit = s[unitStart..].ToLowerInvariant();
        var number = s[..unitStart];
        double scale = unit switch
        {
            "ms" => 1,
            "s" => 1_000,
            "m" or "min" => 60_000,
            "h" => 3_600_000,
            _ => 0,
        };
        if (scale == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            error = $"'{text}' is not a duration: write a number and a unit, e.g. 50ms, 1s, 1.5s, 2m, 1h.";
            return false;
        }

        var ms = value * scale;
        if (ms > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            error = $"'{text}' is too long a duration.";
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);
        error = "";
        return true;
    }

    /// <summary>Formats a duration the way <see cref="TryParse"/> reads it, in its largest exact unit.</summary>
    public static string Format(TimeSpan duration)
    {
        var ms = duration.TotalMilliseconds;
        return ms switch
        {
            _ when ms != 0 && ms % 3_600_000 == 0 => $"{ms / 3_600_000:0}h",
            _ when ms != 0 && ms % 60_000 == 0 => $"{ms / 60_000:0}m",
            _ when ms != 0 && ms % 1_000 == 0 => $"{ms / 1_000:0}s",
            _ => string.Create(CultureInfo.InvariantCulture, $"{ms:0.###}ms"),
        };
    }
}
