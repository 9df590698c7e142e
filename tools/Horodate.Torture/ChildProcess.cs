using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Horodate.Torture;

/// <summary>
/// A process the harness started: its standard output and error go to a log file, a line can be awaited,
/// and it gets real signals. Disposing it kills it if it still runs: nothing outlives its schedule.
/// </summary>
internal sealed partial class ChildProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private const int SigStop = 19;
    private const int SigCont = 18;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private bool _closed;

    private ChildProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>When it was started, in Unix milliseconds.</summary>
    public long StartedMs { get; private init; }

    /// <summary>Starts <paramref name="program"/>, its output appended to <paramref name="logPath"/>, with <paramref name="environment"/> added to its environment.</summary>
    public static ChildProcess Start(string program, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, log) { StartedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        lock (child._gate)
        {
            log.WriteLine($"$ {program} {string.Join(' ', info.ArgumentList)}");
        }

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return child;
    }

    /// <summary>
    /// Starts a program that listens on a fixed port and waits for <paramref name="ready"/> in its output. A restart right
    /// after a stop can find the port still held for a moment ("in use" in its log): a few tries, a second apart.
    /// Returns the process, or null and why it did not start (its log's last lines).
    /// </summary>
    public static async Task<(ChildProcess? Process, string Failure)> StartListeningAsync(
        string program, IEnumerable<string> args, string logPath, Func<string, bool> ready, TimeSpan timeout, CancellationToken stop, IReadOnlyDictionary<string, string>? environment = null)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var child = Start(program, args, logPath, environment);
            if (await child.WaitForLineAsync(ready, timeout).ConfigureAwait(false) is not null)
            {
                return (child, "");
            }

            var code = child.HasExited ? child.ExitCode : -1;
            child.Dispose();
            var tail = string.Join(" | ", File.ReadLines(logPath).TakeLast(4));
            if (!tail.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                return (null, $"exit code {code}: {tail}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
        }

        return (null, "the port stayed in use");
    }

    /// <summary>Waits for an output line that satisfies <paramref name="match"/>; null if the process exits or the time runs out first.</summary>
    public async Task<string?> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((match, found));
        }

        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (first == found.Task)
        {
            return await found.Task.ConfigureAwait(false);
        }

        // The line may have come just before the exit.
        await Task.Delay(50).ConfigureAwait(false);
        return found.Task.IsCompletedSuccessfully ? found.Task.Result : null;
    }

    public void Terminate() => Signal(SigTerm);

    public void KillHard() => Signal(SigKill);

    /// <summary>SIGSTOP: frozen until <see cref="Resume"/> (a SIGKILL, as on dispose, still ends it).</summary>
    public void Pause() => Signal(SigStop);

    public void Resume() => Signal(SigCont);

    /// <summary>Waits for the exit; false if it did not come in time.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
            _process.WaitForExit(); // drains the output readers
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started, or already gone
        }

        _process.Dispose();
        lock (_gate)
        {
            _closed = true;
            _log.Dispose();
        }
    }

    private void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, signal);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _log.WriteLine(line);
            foreach (var (match, found) in _waiters)
            {
                if (!found.Task.IsCompleted && match(line))
                {
                    found.TrySetResult(line);
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
