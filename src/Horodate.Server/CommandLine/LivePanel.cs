using Horodate.Server.Hosting;
using Horodate.Server.Status;
using Spectre.Console;

namespace Horodate.Server.CommandLine;

/// <summary>
/// The server's live view on an interactive terminal: connections, rates, watermark lag, problems and file
/// size, redrawn twice a second until the stop. On a redirected output or with <c>--quiet</c> the plain
/// status line is used instead.
/// </summary>
internal static class LivePanel
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(500);

    public static async Task RunAsync(HorodateServer server, string output, CancellationToken stop)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]horodate-server[/] on {Markup.Escape(string.Join(", ", server.Endpoints))} → {Markup.Escape(output)}");
        table.AddColumn("measure").AddColumn(new TableColumn("now").RightAligned()).AddColumn(new TableColumn("total").RightAligned());
        string[] rows = ["connections", "values in", "written", "watermark lag", "output lag p99", "duplicates", "late", "rejected", "file size"];
        foreach (var row in rows)
        {
            table.AddRow(row, "", "");
        }

        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async context =>
        {
            var previous = server.Status();
            using var timer = new PeriodicTimer(Refresh);
            try
            {
                while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                {
                    var now = server.Status();
                    var change = now.Since(previous);
                    var c = now.Ordering;
                    Set(table, 0, $"{now.ConnectionsOpen:N0} open, {now.ActiveSources:N0} active", $"{now.ConnectionsAccepted:N0} accepted, {now.ConnectionsRefused:N0} refused");
                    Set(table, 1, $"{change.ReceivedPerSecond:N0}/s", $"{c.Received:N0}");
                    Set(table, 2, $"{change.WrittenPerSecond:N0}/s", $"{now.Written:N0}");
                    Set(table, 3, now.WatermarkLagMs > 10_000 ? "idle" : $"{now.WatermarkLagMs:N0} ms", "");
                    Set(table, 4, $"{change.Lag.Percentile(99):N0} ms", $"{now.Lag.Percentile(99):N0} ms");
                    Set(table, 5, "", $"{c.Duplicates:N0}");
                    Set(table, 6, "", c.Late > 0 ? $"[yellow]{c.Late:N0}[/]" : "0");
                    Set(table, 7, "", now.Rejected > 0 ? $"[yellow]{now.Rejected:N0}[/]" : "0");
                    Set(table, 8, now.PendingBytes > 0 ? $"[red]WRITES FAILING, {Units.Bytes(now.PendingBytes)} pending[/]" : "", Units.Bytes(now.OutputBytes));
                    context.Refresh();
                    previous = now;
                }
            }
            catch (OperationCanceledException)
            {
                // the stop
            }
        }).ConfigureAwait(false);
    }

    private static void Set(Table table, int row, string now, string total)
    {
        table.UpdateCell(row, 1, new Markup(now));
        table.UpdateCell(row, 2, new Markup(total));
    }
}
