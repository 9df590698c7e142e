using System.Collections.Concurrent;
using System.Diagnostics;
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
        var start = new ProcessStartInfo(ProgramProcess.Server)
        {
            RedirectStandardOutput = true, // a pipe this test stops reading after the listening line: it fills at 64 KB
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--listen", "127.0.0.1:0", "--output", dir.File("out.txt"), "--status-interval", "1ms"])
        {
            start.ArgumentList.Add(arg);
        }

        var stderr = new ConcurrentQueue<string>();
        using var server = Process.Start(start)!;
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr.Enqueue(e.Data);
            }
        };
        server.BeginErrorReadLine();
        try
        {
            var cancel = TestContext.Current.CancellationToken;
            string? line;
            do
            {
                line = await server.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(Within.Short, cancel);
            }
            while (line is not null && !line.Contains("listening on ", StringComparison.Ordinal));

            Assert.NotNull(line);

            // Nobody reads standard output from here: ~125-byte status lines every millisecond fill the pipe's 64 KB, then
            // the writer's queue, within seconds; the next lines are dropped and standard error says so.
            Assert.True(
                await Within.PollAsync(() => stderr.Any(l => l.Contains("standard output is not taking lines", StringComparison.Ordinal)), Within.Long),
                $"standard error never said that standard output was full:\n{string.Join('\n', stderr)}");

            ProgramProcess.Terminate(server);
            await server.WaitForExitAsync(cancel).WaitAsync(Within.Short, cancel); // the stop waits for standard output 2 s at most
            Assert.Equal(0, server.ExitCode);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
            }
        }
    }
}
