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

    public static ChildProcess Start(string program, IEnumerable<string> args, string logPath)
    {
        var info = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
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
