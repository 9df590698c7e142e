using System.Collections.Concurrent;

namespace Horodate.Logging;

/// <summary>
/// The process's one writer of log lines to standard error: a bounded queue and a background thread, so that logging
/// never blocks the thread that logs when standard error blocks (a pipe nobody reads, a stalled journal). Before, each
/// line was written where it was logged: with standard error piped to a full pipe, the epoll receive thread stalled at
/// its next connection's log line and no connection was read or acknowledged any more. A line that finds the queue full
/// is dropped and counted; the thread says how many once standard error takes lines again.
/// </summary>
internal static class StandardErrorWriter
{
    /// <summary>
    /// Lines held while standard error blocks: 1,024 (~130 KB at ~130 bytes a line), twice a pipe's 64 KB buffer. Every
    /// message the programs log on a busy path is rate-limited (one per reason per 5 s), so a queue this long fills only
    /// when standard error has stopped taking lines, and a burst (a restart's thousands of reconnects at Debug) waits in it.
    /// </summary>
    public const int Capacity = 1024;

    /// <summary>How long a flush (a program's exit) waits for standard error to take what is queued: it may never.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    private static readonly BlockingCollection<string> Lines = new(new ConcurrentQueue<string>(), Capacity);
    private static readonly object Progress = new(); // Monitor.Wait/PulseAll: Lock has no condition variable
    private static long _queued; // lines taken into the queue (guarded by Progress for the flush's wait, counted atomically)
    private static long _written;
    private static long _dropped; // since the last line written
    private static Thread? _thread;

    /// <summary>Queues <paramref name="line"/> (newline included) for standard error; drops it if the queue is full.</summary>
    public static void Enqueue(string line)
    {
        EnsureStarted();
        if (Lines.TryAdd(line))
        {
            Interlocked.Increment(ref _queued);
        }
        else
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Waits until every line queued so far is written, or <see cref="FlushTimeout"/>; true if written.</summary>
    public static bool Flush()
    {
        var target = Interlocked.Read(ref _queued);
        var deadline = Environment.TickCount64 + (long)FlushTimeout.TotalMilliseconds;
        lock (Progress)
        {
            while (Interlocked.Read(ref _written) < target)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                Monitor.Wait(Progress, TimeSpan.FromMilliseconds(left));
            }
        }

        return true;
    }

    private static void EnsureStarted()
    {
        if (Volatile.Read(ref _thread) is not null)
        {
            return;
        }

        var thread = new Thread(Run) { Name = "horodate-log", IsBackground = true };
        if (Interlocked.CompareExchange(ref _thread, thread, null) is null)
        {
            thread.Start();
        }
    }

    private static void Run()
    {
        foreach (var line in Lines.GetConsumingEnumerable())
        {
            Write(line);
            if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
            {
                Write($"{DateTime.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture)}warn: Horodate.Logging[1] {dropped} log messages dropped: standard error was not taking lines.{Environment.NewLine}");
            }

            lock (Progress)
            {
                Interlocked.Increment(ref _written);
                Monitor.PulseAll(Progress);
            }
        }
    }

    private static void Write(string line)
    {
        try
        {
            Console.Error.Write(line);
        }
        catch (IOException)
        {
            // standard error closed (EPIPE): nothing to log to
        }
    }
}
