using System.Globalization;
using Horodate.Server.Hosting;

namespace Horodate.Server.Status;

/// <summary>The text views of the status: the plain status line, and the summary printed at exit.</summary>
internal static class StatusText
{
    /// <summary>One status line: connections, values in and written per second, problems, and the output lag since <paramref name="previous"/>.</summary>
    public static string Line(ServerStatus previous, ServerStatus current)
    {
        var change = current.Since(previous);
        var c = current.Ordering;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(current.Time).ToLocalTime();
        var problems = current.PendingBytes > 0 ? $" | WRITE FAILING, {Units.Bytes(current.PendingBytes)} pending" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{at:HH:mm:ss} conns {current.ConnectionsOpen,5:N0} (active {current.ActiveSources:N0}) | in {change.ReceivedPerSecond,8:N0}/s | written {change.WrittenPerSecond,8:N0}/s" +
            $" | dup {c.Duplicates:N0} | late {c.Late:N0} | rejected {current.Rejected:N0}" +
            $" | lag p50 {change.Lag.Percentile(50):N0} ms p99 {change.Lag.Percentile(99):N0} ms | {Units.Bytes(current.OutputBytes)}{problems}");
    }

    /// <summary>The summary printed at exit (without <c>--json</c>), headed by <paramref name="name"/>.</summary>
    public static string Summary(string name, ServerSummary s, ServerOptions options)
    {
        var seconds = Math.Max(s.Uptime.TotalSeconds, 0.001);
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{name}: stopped after {seconds:0.0} s"),
            string.Create(CultureInfo.InvariantCulture, $"  connections  {s.ConnectionsAccepted:N0} accepted, {s.ConnectionsRefused:N0} refused; closed {s.ConnectionsClosedForGarbage:N0} for not speaking the protocol, {s.ConnectionsClosedIdle:N0} for silence"),
            string.Create(CultureInfo.InvariantCulture, $"  received     {s.Received:N0} values ({s.Received / seconds:N0}/s); rejected {s.RejectedLines:N0} bad lines, {s.RejectedFuture:N0} values too far in the future"),
            string.Create(CultureInfo.InvariantCulture, $"  written      {s.Written:N0} values to {options.Output} ({Units.Bytes(s.OutputBytes)}); {s.Duplicates:N0} duplicates dropped, {s.Resent:N0} resends recognised"),
            string.Create(CultureInfo.InvariantCulture, $"  late         {s.Late:N0} values{(s.Late > 0 ? $" (in {options.LateOutput})" : "")}"),
            string.Create(CultureInfo.InvariantCulture, $"  output lag   p50 {s.LagP50Ms:N0} ms, p99 {s.LagP99Ms:N0} ms, max {s.LagMaxMs:N0} ms"),
        };
        if (s.WriteErrors > 0)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  write errors {s.WriteErrors:N0} failed writes, retried (see the log)"));
        }

        if (s.DroppedAtStop > 0 || s.Unwritten > 0)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  NOT STORED   {s.DroppedAtStop:N0} values from connections cut at the shutdown timeout; {Units.Bytes(s.Unwritten)} that the disk refused"));
        }

        return string.Join(Environment.NewLine, lines);
    }
}
