using System.Text.RegularExpressions;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// The live panels, as a person at a terminal sees them: the programs run under <c>script</c>, which gives them
/// a real pseudo-terminal, so their output is not redirected.
/// </summary>
public sealed class LivePanelTests
{
    [Fact]
    public async Task On_a_terminal_both_programs_show_a_live_panel_and_still_print_their_summary()
    {
        using var dir = new TempDirectory();
        var output = dir.File("timestamps.txt");
        using var server = ProgramProcess.Start("script", "-qec",
            $"{ProgramProcess.Server} --listen 127.0.0.1:0 --output {output}", "/dev/null");
        var listening = await server.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), Within.Start);
        var endpoint = Regex.Match(Plain(listening), @"listening on (127\.0\.0\.1:\d+)").Groups[1].Value; // the port it bound

        using var client = ProgramProcess.Start("script", "-qec",
            $"{ProgramProcess.Client} --server {endpoint} -n 20 --duration 1500ms", "/dev/null");
        await client.WaitForExitAsync(Within.Long);
        Assert.True(ProgramProcess.Interrupt(output), "the server under script was not found"); // Ctrl-C, as at the terminal
        await server.WaitForExitAsync(Within.Long);

        var clientScreen = Plain(client.Stdout);
        var serverScreen = Plain(server.Stdout);
        Assert.Contains("horodate-client → 127.0.0.1", clientScreen); // the panel's title
        Assert.Contains("acked", clientScreen);
        Assert.Contains("stopped after", clientScreen);               // the summary after the panel
        Assert.Contains("horodate-server on 127.0.0.1", serverScreen);
        Assert.Contains("watermark lag", serverScreen);
        Assert.Contains("stopped after", serverScreen);
    }

    [Fact]
    public async Task With_quiet_on_a_terminal_the_plain_status_line_is_printed_instead()
    {
        using var dir = new TempDirectory();
        var (server, endpoint) = await ProgramProcess.StartServerAsync("--listen", "127.0.0.1:0", "--output", dir.File("t.txt"));
        using var _ = server;

        using var client = ProgramProcess.Start("script", "-qec",
            $"{ProgramProcess.Client} --server {endpoint} -n 5 --duration 1500ms --quiet --status-interval 500ms", "/dev/null");
        await client.WaitForExitAsync(Within.Long);

        Assert.DoesNotContain("horodate-client →", Plain(client.Stdout));
        Assert.Contains("| sent ", Plain(client.Stdout));
    }

    /// <summary>The text a person reads: terminal escape sequences (colours, cursor moves) removed.</summary>
    private static string Plain(string screen) => Regex.Replace(screen, @"\x1B(\[[0-?]*[ -/]*[@-~]|[=>])", "");
}
