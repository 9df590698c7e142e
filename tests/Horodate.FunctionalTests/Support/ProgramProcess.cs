using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Horodate.FunctionalTests.Support;

/// <summary>One of the real executables, run as its own process, its output captured line by line.</summary>
internal sealed partial class ProgramProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigInt = 2;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly BlockingCollection<string> _lines = []; // standard output and standard error, as they come

    private ProgramProcess(Process process) => _process = process;

    public static string Server => Path.Combine(AppContext.BaseDirectory, "horodate-server");

    public static string Client => Path.Combine(AppContext.BaseDirectory, "horodate-client");

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    public static ProgramProcess Start(string program, params string[] args) => Start(program, new Dictionary<string, string>(), args);

    /// <summary>Starts <paramref name="program"/> with extra environment variables.</summary>
    public static ProgramProcess Start(string program, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // a closed stdin, as under CI
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var wrapper = new ProgramProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (wrapper._stdout)
            {
                wrapper._stdout.AppendLine(e.Data);
            }

            wrapper._lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (wrapper._stderr)
            {
                wrapper._stderr.AppendLine(e.Data);
            }

            wrapper._lines.Add(e.Data); // with --json the listening line and the logs are here
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return wrapper;
    }

    /// <summary>Starts <c>horodate-server</c> with <paramref name="args"/> and waits until it says where it listens.</summary>
    /// <returns>The process and its first endpoint, as <c>host:port</c>.</returns>
    public static async Task<(ProgramProcess Server, string Endpoint)> StartServerAsync(params string[] args)
    {
        var server = Start(Server, args);
        try
        {
            var line = await server.WaitForLineAsync(l => l.Contains("listening on ", StringComparison.Ordinal), Within.Start);
            return (server, line.Split("listening on ")[1].Split(' ', ',')[0]);
        }
        catch
        {
            server.Dispose(); // a server that never says where it listens is killed, not left behind the failed test
            throw;
        }
    }

    /// <summary>Runs a program to its end and returns its exit code; output stays readable.</summary>
    public static async Task<ProgramProcess> RunAsync(string program, params string[] args)
    {
        var process = Start(program, args);
        try
        {
            await process.WaitForExitAsync(Within.Long);
            return process;
        }
        catch
        {
            process.Dispose(); // a run that does not end is killed, not left behind the failed test
            throw;
        }
    }

    /// <summary>
    /// The one JSON object a program run with <c>--json</c> printed on standard output, read as its summary type
    /// (e.g. <c>ServerJsonContext.Default.ServerSummary</c>): tests assert on its fields, not on the formatted text.
    /// </summary>
    public T ReadJson<T>(JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(Stdout, type) ?? throw new InvalidOperationException($"standard output holds no JSON object: {Stdout}");

    /// <summary>
    /// Waits for a line of standard output or standard error that satisfies <paramref name="match"/>: the
    /// <c>listening on</c> line is on standard error with <c>--json</c>, on standard output otherwise.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        return await Task.Run(() =>
        {
            foreach (var line in _lines.GetConsumingEnumerable(cts.Token))
            {
                if (match(line))
                {
                    return line;
                }
            }

            throw new InvalidOperationException("output ended");
        }, cts.Token);
    }

    /// <summary>Sends SIGTERM, as systemd or <c>kill</c> would.</summary>
    public void Terminate() => Terminate(_process);

    /// <summary>Sends SIGTERM to <paramref name="process"/> (one a test started itself, with its own pipes).</summary>
    public static void Terminate(Process process)
    {
        if (Kill(process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill failed: {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Sends SIGINT (Ctrl-C) to the process whose command line contains <paramref name="marker"/>; returns whether one was found.</summary>
    public static bool Interrupt(string marker)
    {
        foreach (var process in Process.GetProcessesByName("horodate-server").Concat(Process.GetProcessesByName("horodate-client")))
        {
            using (process)
            {
                var commandLine = File.Exists($"/proc/{process.Id}/cmdline") ? File.ReadAllText($"/proc/{process.Id}/cmdline") : "";
                if (commandLine.Contains(marker, StringComparison.Ordinal))
                {
                    return Kill(process.Id, SigInt) == 0;
                }
            }
        }

        return false;
    }

    /// <summary>SIGKILL: the process dies at once, with no chance to flush anything.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout, TestContext.Current.CancellationToken);
        _process.WaitForExit(); // flushes the asynchronous output readers
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _lines.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
