using System.Collections.Concurrent;
using System.Diagnostics;
using Horodate.Native;

namespace Horodate.Client.Load;

/// <summary>
/// The thread's reads: what the server sends its plain sockets (the hello's answer, <c>ACK v</c> lines, the peer's
/// close), from one level-triggered epoll set it waits in between sends, as the C client does. The connector hands
/// a socket over (<see cref="TryHandOver"/>) as soon as it is connected and its hello sent; from then on the thread
/// reads it. One buffer per thread instead of an asynchronous reader per connection: about 1 KB less per
/// connection (docs/performance.md, the client's memory), and no thread-pool hop per <c>ACK</c>.
/// </summary>
internal sealed partial class SendScheduler
{
    /// <summary>Ready sockets handled per wait: one thread's share of a burst of acknowledgements (they come after each sync) takes a few waits.</summary>
    private const int MaxEvents = 64;

    /// <summary>
    /// Each read: room for the lines of a burst (a connection gets one or two <c>ACK</c> lines per sync, 24 bytes at
    /// most), behind <see cref="ServerLines.MaxPartial"/> bytes where a partial line carried from the last read goes.
    /// </summary>
    private const int ReadBytes = 1024;

    /// <summary>How often the stop's second phase looks whether it is over.</summary>
    private const int StoppingReadMs = 5;

    /// <summary>
    /// A thread always behind its schedule never waits: it reads anyway at least this often, so that the
    /// acknowledgements keep trimming its buffers.
    /// </summary>
    private static readonly long ReadAtLeastEvery = Stopwatch.Frequency / 100;

    private readonly ClientConnection[] _all;
    private readonly ConcurrentQueue<HandOver> _handOvers = new();
    private int _epoll = -1;
    private LinuxEpoll.Event[]? _events;
    private byte[]? _readBuffer;
    private long _lastRead;

    // The partial lines a read ended with, by connection index: rare (a line split across two segments).
    private Dictionary<int, PartialLine>? _partials;

    /// <summary>
    /// This thread reads socket <paramref name="generation"/> of <paramref name="connection"/> from now on, starting
    /// with <paramref name="partial"/>, a line read in part before. Called by the connector right after the connect
    /// (a hello just sent: the thread tells <see cref="HelloUnanswered"/> if no answer came by <paramref name="helloDeadline"/>,
    /// a Stopwatch timestamp; <see cref="long.MaxValue"/>: none), or by a watcher once the hello it read is settled.
    /// False where the thread does not read (not Linux on x86-64, or ended): the caller's watcher reads.
    /// </summary>
    public bool TryHandOver(ClientConnection connection, int generation, ReadOnlySpan<byte> partial, long helloDeadline = long.MaxValue)
    {
        if (Volatile.Read(ref _epoll) < 0 || connection.Descriptor < 0)
        {
            return false;
        }

        _handOvers.Enqueue(new HandOver(connection, generation, partial.IsEmpty ? null : partial.ToArray(), helloDeadline));
        return true;
    }

    /// <summary>Before the thread starts (its connections' watchers hand them over from the ramp on).</summary>
    private void OpenReads()
    {
        if (NativeEpoll.IsSupported)
        {
            _epoll = NativeEpoll.Create();
            _events = new LinuxEpoll.Event[MaxEvents];
            _readBuffer = new byte[ServerLines.MaxPartial + ReadBytes];
            _lastRead = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// When the thread ends: the epoll set goes (its sockets stay open, for the stop to close); connects still under
    /// way end as aborted.
    /// </summary>
    private void CloseReads()
    {
        if (_epoll >= 0)
        {
            var epoll = _epoll;
            Volatile.Write(ref _epoll, -1);
            AbortConnects();
            NativeEpoll.Close(epoll);
        }
    }

    /// <summary>Takes the sockets handed over, then waits up to <paramref name="timeoutMs"/> for what the server sends, and reads it.</summary>
    private void Read(int timeoutMs)
    {
        if (_epoll < 0)
        {
            Thread.Sleep(timeoutMs);
            return;
        }

        var now = Stopwatch.GetTimestamp();
        TakeConnects(now);
        while (_handOvers.TryDequeue(out var handOver))
        {
            Watch(handOver);
        }

        ExpireHellos(now);
        var ready = NativeEpoll.Wait(_epoll, _events, timeoutMs);
        for (var i = 0; i < ready; i++)
        {
            var data = _events![i].Data;
            if ((uint)data == ConnectTag)
            {
                ConnectReady((int)(data >> 32));
            }
            else
            {
                ReadReady(data);
            }
        }

        _lastRead = Stopwatch.GetTimestamp();
    }

    /// <summary>On a thread that has not waited for a while (behind its schedule): reads what is there, without waiting.</summary>
    private void ReadIfOverdue(long now)
    {
        if (_epoll >= 0 && now - _lastRead > ReadAtLeastEvery)
        {
            Read(0);
        }
    }

    private void Watch(HandOver handOver)
    {
        var connection = handOver.Connection;

        // Taken down by this thread since (its new socket, if any, is handed over by its own watcher), or replaced:
        // the socket is not the connection's any more. Otherwise, only this thread can take it down: it stays.
        if (connection.State == ConnectionState.Down || connection.Generation != handOver.Generation)
        {
            return;
        }

        if (!NativeEpoll.Add(_epoll, connection.Descriptor, (ulong)(uint)connection.Index << 32 | (uint)handOver.Generation))
        {
            connection.NotePeerClosed(handOver.Generation); // cannot be read: treated as lost, it reconnects
            return;
        }

        if (handOver.Partial is { } partial)
        {
            (_partials ??= [])[connection.Index] = new PartialLine(handOver.Generation, partial);
        }

        if (handOver.HelloDeadline != long.MaxValue)
        {
            (_helloDeadlines ??= new()).Enqueue(handOver);
        }
    }

    private void ReadReady(ulong data)
    {
        var connection = _all[(int)(data >> 32)];
        var generation = (int)(uint)data;
        var fd = connection.Descriptor;
        if (connection.Generation != generation || fd < 0)
        {
            return; // a socket this thread stopped watching in this same batch
        }

        var buffer = _readBuffer!;
        var read = NativeEpoll.Receive(fd, buffer.AsSpan(ServerLines.MaxPartial));
        if (read < 0 && read != -2)
        {
            return; // nothing after all
        }

        if (read <= 0)
        {
            // Closed (or reset) by the server: the next turn takes the connection down, and it reconnects.
            Unwatch(connection);
            connection.NotePeerClosed(generation);
            return;
        }

        // A line the last read ended in the middle of goes right before this read's bytes.
        var start = ServerLines.MaxPartial;
        if (_partials is not null && _partials.Remove(connection.Index, out var carried) && carried.Generation == generation)
        {
            start -= carried.Bytes.Length;
            carried.Bytes.CopyTo(buffer.AsSpan(start));
        }

        var greeting = connection.State == ConnectionState.Greeting;
        var rest = ServerLines.Read(connection, generation, buffer.AsSpan(start, ServerLines.MaxPartial + read - start));
        if (rest > 0)
        {
            (_partials ??= [])[connection.Index] = new PartialLine(generation, buffer.AsSpan(start, rest).ToArray());
        }

        if (greeting && connection.Mode == ServerMode.Acknowledged)
        {
            HelloAnswered?.Invoke(connection);
        }
    }

    /// <summary>Before the connection's socket closes (this thread takes it down), or once the server closed it: no more reads.</summary>
    private void Unwatch(ClientConnection connection)
    {
        if (_epoll >= 0 && connection.Descriptor is var fd and >= 0)
        {
            NativeEpoll.Remove(_epoll, fd);
            _partials?.Remove(connection.Index);
        }
    }

    /// <summary>A socket for this thread to read from now on: its hello settled, or awaited until <see cref="HelloDeadline"/>.</summary>
    private readonly record struct HandOver(ClientConnection Connection, int Generation, byte[]? Partial, long HelloDeadline);

    /// <summary>The start of a line a read ended in the middle of, for socket <see cref="Generation"/>.</summary>
    private readonly record struct PartialLine(int Generation, byte[] Bytes);
}
