using System.Globalization;
using Horodate.Client.Load;

namespace Horodate.Client.Status;

/// <summary>The text views of the client's status: the plain status line, and the summary printed at exit.</summary>
internal static class StatusText
{
    /// <summary>One status line, iperf3-style: rates and send lateness since <paramref name="previous"/> (none: the start).</summary>
    public static string Line(ClientStatus? previous, ClientStatus s)
    {
        var change = s.Since(previous);
        return string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:HH:mm:ss} conns {s.Up:N0}/{s.Connections:N0}{(s.Ramping ? " (ramping)" : "")} | sent {change.SentPerSecond,8:N0}/s (total {s.Sent:N0})" +
            $" | skipped {s.Skipped:N0} | send late p50 {change.LatenessUs.Percentile(50) / 1000.0:0.0} ms p99 {change.LatenessUs.Percentile(99) / 1000.0:0.0} ms | reconnects {s.Reconnects:N0}" +
            $" | acked {s.Acked:N0}, pending {s.Unacked:N0}");
    }

    /// <summary>The summary printed at exit (without <c>--json</c>), headed by <paramref name="name"/>.</summary>
    public static string Summary(string name, ClientSummary s, ClientOptions options)
    {
        var seconds = Math.Max(s.Elapsed.TotalSeconds, 0.001);
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(inv, $"{name}: stopped after {seconds:0.0} s of sending"),
            string.Create(inv, $"  connections  {s.ConnectionsUp:N0}/{s.Connections:N0} up at the end (ramp {s.Ramp.TotalSeconds:0.00} s); {s.Reconnects:N0} reconnects, {s.ConnectFailures:N0} failed attempts"),
            string.Create(inv, $"  sent         {s.Sent:N0} values ({s.Sent / seconds:N0}/s{SteadyRate(s)}; schedule {s.TargetRate:N0}/s)"),
            string.Create(inv, $"  skipped      {s.SkippedDown:N0} while a connection was being re-established, {s.SkippedBusy:N0} because the server was not reading, {s.SkippedClock:N0} because the clock had not advanced"),
            string.Create(inv, $"  acknowledged {s.Acked:N0} ({s.AckMode}); {s.Unacked:N0} unacknowledged at exit, {s.Resent:N0} resent after reconnects, {s.DroppedUnacked:N0} dropped from full buffers"),
            string.Create(inv, $"  send late    p50 {s.LatenessP50Us / 1000.0:0.00} ms, p99 {s.LatenessP99Us / 1000.0:0.00} ms, max {s.LatenessMaxUs / 1000.0:0.00} ms (versus schedule)"),
        };
        if (s.Recorded is { } recorded)
        {
            lines.Add(string.Create(inv, $"  record       {recorded:N0} values in {options.RecordPath}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string SteadyRate(ClientSummary s) => s.Steady > TimeSpan.Zero
        ? string.Create(CultureInfo.InvariantCulture, $", {s.SteadySent / s.Steady.TotalSeconds:N0}/s once all were up")
        : "";
}
