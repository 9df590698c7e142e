using System.Collections.Concurrent;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// The server when nobody reads its standard output (a full pipe): the status line must not block, nor the graceful
/// stop, nor the log on standard error (the runtime's console streams share one lock on Unix).
/// </summary>
public sealed class StandardOutputTests
{
    [Fact]
    public async Task A_server_whose_standard_output_pipe_is_full_drops_status_lines_says_so_on_standard_error_and_still_stops()
    {
        using var dir = new TempDirectory();
        var stderr = new ConcurrentQueue<string>();
        // Standard output is a pipe this test stops reading after the listening line: it fills at 64 KB.
        await using var server = await UnreadServer.StartAsync(
            ["--listen", "127.0.0.1:0", "--output", dir.File("out.txt"), "--status-interval", "1ms"], stderr.Enqueue);
        var cancel = TestContext.Current.CancellationToken;

        // Nobody reads standard output from here: ~125-byte status lines every millisecond fill the pipe's 64 KB, then
        // the writer's queue, within seconds; the next lines are dropped and standard error says so.
        Assert.True(
            await Within.PollAsync(() => stderr.Any(l => l.Contains("standard output is not taking lines", StringComparison.Ordinal)), Within.Long),
            $"standard error never said that standard output was full:\n{string.Join('\n', stderr)}");

        ProgramProcess.Terminate(server.Process);
        await server.Process.WaitForExitAsync(cancel).WaitAsync(Within.Short, cancel); // the stop waits for standard output 2 s at most
        Assert.Equal(0, server.Process.ExitCode);
    }
}
