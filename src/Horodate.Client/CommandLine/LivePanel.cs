using Horodate.Client.Load;
using Horodate.Client.Status;
using Spectre.Console;

namespace Horodate.Client.CommandLine;

/// <summary>
/// The client's live view on an interactive terminal: a progress bar while the connections come up, then
/// sends per second, send lateness, reconnects and acknowledgements, redrawn four times a second.
/// </summary>
internal sealed class LivePanel : IProgress<ClientStatus>
{
    public static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);

    private ClientStatus? _latest;

    public void Report(ClientStatus value) => Volatile.Write(ref _latest, value);

    /// <summary>Shows the panel until <paramref name="run"/> completes.</summary>
    public async Task ShowAsync(Task run, ClientOptions options)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]horodate-client[/] → {Markup.Escape(options.Server)}");
        table.AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        string[] rows = ["connections", "ramp", "sent", "send lateness", "skipped", "reconnects", "acknowledged"];
        foreach (var row in rows)
        {
            table.AddRow(row, "");
        }

        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async context =>
        {
            ClientStatus? previous = null;
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(Refresh)).ConfigureAwait(false);
                if (Volatile.Read(ref _latest) is not { } s || ReferenceEquals(s, previous))
                {
                    continue;
                }

                var change = s.Since(previous);
                previous = s;
                table.UpdateCell(0, 1, new Markup($"{s.Up:N0} / {s.Connections:N0} up"));
                table.UpdateCell(1, 1, new Markup(s.Ramping ? Bar(s.Up, s.Connections) : "[green]done[/]"));
                table.UpdateCell(2, 1, new Markup($"{change.SentPerSecond:N0}/s ({s.Sent:N0} in all)"));
                table.UpdateCell(3, 1, new Markup($"p50 {change.LatenessUs.Percentile(50) / 1000.0:0.0} ms, p99 {change.LatenessUs.Percentile(99) / 1000.0:0.0} ms"));
                table.UpdateCell(4, 1, new Markup(s.Skipped > 0 ? $"[yellow]{s.Skipped:N0}[/]" : "0"));
                table.UpdateCell(5, 1, new Markup(s.Reconnects > 0 ? $"[yellow]{s.Reconnects:N0}[/]" : "0"));
                table.UpdateCell(6, 1, new Markup(options.Acknowledged ? $"{s.Acked:N0} acked, {s.Unacked:N0} pending" : "off (--no-ack)"));
                context.Refresh();
            }
        }).ConfigureAwait(false);
    }

    /// <summary>A 30-cell text progress bar.</summary>
    private static string Bar(int done, int total)
    {
        var cells = total == 0 ? 30 : (int)(30L * done / total);
        return $"[green]{new string('█', cells)}[/][grey]{new string('░', 30 - cells)}[/] {(total == 0 ? 100 : 100L * done / total)}%";
    }
}
