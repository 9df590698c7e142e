using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Horodate.Logging;

/// <summary>
/// Lines for one standard stream, written by a background thread of their own: a bounded queue, so that the thread
/// that writes a line (the epoll receive thread's log, the status reporter, the graceful stop) never blocks when the
/// stream does (a pipe nobody reads, a stalled journal). A line that finds the queue full is dropped and counted;
/// <see cref="Flush"/> waits for the stream a bounded time only. One for standard error (<see cref="StandardErrorWriter"/>),
/// one for standard output (<see cref="StandardOutputWriter"/>).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "One per standard stream, as long-lived as the process: its writer thread reads the queue to the end.")]
internal sealed class LineQueue
{
    private readonly BlockingCollection<string> _lines;
    private readonly string _threadName;
    private readonly Lazy<TextWriter> _stream;
    private readonly Action<long> _dropped;
    private readonly object _progress = new(); // Monitor.Wait/PulseAll: Lock has no condition variable
    private long _queued; // lines taken into the queue (guarded by _progress for the flush's wait, counted atomically)
    private long _written;
    private long _droppedSince; // since the last line written
    private int _firstDrop; // 1 once a line was dropped
    private Thread? _thread;

    /// <param name="threadName">The writer thread's name.</param>
    /// <param name="stream">Opens the stream, at the first line written (only the writer thread writes to it).</param>
    /// <param name="capacity">Lines held while the stream blocks.</param>
    /// <param name="dropped">
    /// Called on the writer thread with how many lines were dropped, once the stream takes a line again; and with 0 at the
    /// first line dropped, on the thread that dropped it (to say so elsewhere at once, if there is an elsewhere).
    /// </param>
    public LineQueue(string threadName, Func<TextWriter> stream, int capacity, Action<long> dropped)
    {
        _lines = new BlockingCollection<string>(new ConcurrentQueue<string>(), capacity);
        _threadName = threadName;
        _stream = new Lazy<TextWriter>(stream);
        _dropped = dropped;
    }

    /// <summary>Queues <paramref name="text"/> (its newline included) for the stream; drops it if the queue is full.</summary>
    public void Enqueue(string text)
    {
        EnsureStarted();
        if (_lines.TryAdd(text))
        {
            Interlocked.Increment(ref _queued);
            return;
        }

        Interlocked.Increment(ref _droppedSince);
        if (Interlocked.Exchange(ref _firstDrop, 1) == 0)
        {
            _dropped(0);
        }
    }

    /// <summary>Waits until every line queued so far is written, or <paramref name="timeout"/>; true if written.</summary>
    public bool Flush(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _queued);
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_progress)
        {
            while (Interlocked.Read(ref _written) < target)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return false;
                }

                Monitor.Wait(_progress, TimeSpan.FromMilliseconds(left));
            }
        }

        return true;
    }

    /// <summary>
    /// Standard output (<paramref name="fd"/> 1) or error (2) written straight to its file descriptor, unbuffered, not
    /// through <paramref name="console"/>: on Unix every write to a console stream takes the lock of <see cref="Console.Out"/>
    /// (the runtime's cursor bookkeeping), so a write blocked on a full standard output pipe blocked every write to standard
    /// error too. <paramref name="console"/> where there is no such descriptor (Windows, a closed one).
    /// </summary>
    public static TextWriter Unlocked(int fd, TextWriter console)
    {
        if (OperatingSystem.IsWindows())
        {
            return console;
        }

        try
        {
            var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            return new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return console;
        }
    }

    /// <summary>Writes <paramref name="text"/> on the writer thread's stream now (for the dropped-lines notice).</summary>
    public void WriteNow(string text)
    {
        try
        {
            _stream.Value.Write(text);
        }
        catch (IOException)
        {
            // the stream closed (EPIPE): nowhere to write
        }
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _thread) is not null)
        {
            return;
        }

        var thread = new Thread(Run) { Name = _threadName, IsBackground = true };
        if (Interlocked.CompareExchange(ref _thread, thread, null) is null)
        {
            thread.Start();
        }
    }

    private void Run()
    {
        foreach (var line in _lines.GetConsumingEnumerable())
        {
            WriteNow(line);
            if (Interlocked.Exchange(ref _droppedSince, 0) is var dropped and > 0)
            {
                _dropped(dropped);
            }

            lock (_progress)
            {
                Interlocked.Increment(ref _written);
                Monitor.PulseAll(_progress);
            }
        }
    }
}
