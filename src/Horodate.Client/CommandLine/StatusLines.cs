using System.Globalization;
using Horodate.Client.Load;

namespace Horodate.Client.CommandLine;

/// <summary>The plain status line, iperf3-style: for a redirected output or <c>--quiet</c>.</summary>
internal sealed class StatusLines(TextWriter output) : IProgress<ClientStatus>
{
    public void Report(ClientStatus s)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:HH:mm:ss} conns {s.Up:N0}/{s.Connections:N0}{(s.Ramping ? " (ramping)" : "")} | sent {s.SentPerSecond,8:N0}/s (total {s.Sent:N0})" +
            $" | skipped {s.Skipped:N0} | send late p50 {s.LatenessP50Ms:0.0} ms p99 {s.LatenessP99Ms:0.0} ms | reconnects {s.Reconnects:N0}" +
            $" | acked {s.Acked:N0}, pending {s.Unacked:N0}"));
        output.Flush();
    }
}
