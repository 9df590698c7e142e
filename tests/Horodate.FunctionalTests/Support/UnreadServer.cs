using System.Diagnostics;
using System.Net;

namespace Horodate.FunctionalTests.Support;

/// <summary>
/// A server process whose standard output and standard error are pipes that the test reads only as it chooses: the
/// tests of a full pipe leave one unread (it fills at 64 KB). <see cref="ProgramProcess"/> always drains both.
/// </summary>
internal sealed class UnreadServer : IAsyncDisposable
{
    private UnreadServer(Process process, IPEndPoint endpoint)
    {
        Process = process;
        Endpoint = endpoint;
    }

    public Process Process { get; }

    /// <summary>Where it listens, from its <c>listening on</c> line on standard output.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>
    /// Starts horodate-server with <paramref name="args"/> and reads standard output up to the <c>listening on</c> line,
    /// then no more. Standard error is read into <paramref name="stderr"/> when given, otherwise never.
    /// </summary>
    public static async Task<UnreadServer> StartAsync(string[] args, Action<string>? stderr = null)
    {
        var start = new ProcessStartInfo(ProgramProcess.Server)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        try
        {
            if (stderr is not null)
            {
                process.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is not null)
                    {
                        stderr(e.Data);
                    }
                };
                process.BeginErrorReadLine();
            }

            var cancel = TestContext.Current.CancellationToken;
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync(cancel).AsTask().WaitAsync(Within.Start, cancel);
            }
            while (line is not null && !line.Contains("listening on ", StringComparison.Ordinal));

            Assert.NotNull(line);
            return new UnreadServer(process, IPEndPoint.Parse(line.Split("listening on ")[1].Split(' ', ',')[0]));
        }
        catch
        {
            await KillAsync(process);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync(Process);
        Process.Dispose();
    }

    private static async Task KillAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        }
    }
}
