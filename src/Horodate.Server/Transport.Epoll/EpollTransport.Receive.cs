using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Horodate.Core.Durability;
using Horodate.Core.Protocol;
using Horodate.Native;
using Horodate.Server.Logging;
using Horodate.Server.Sessions;

namespace Horodate.Server.Transport.Epoll;

internal sealed partial class EpollTransport
{
    /// <summary>Events taken per wait: enough for a burst of an aligned tick without a second wait.</summary>
    private const int MaxEvents = 512;

    /// <summary>Bytes read per ready socket: one read drains a connection that sends 14 bytes every 50 ms many times over.</summary>
    private const int ReadSize = 64 * 1024;

    /// <summary>Values handed to the pipeline in one lock at most (8 B each: 512 KiB).</summary>
    private const int BatchValues = 64 * 1024;

    /// <summary>How often silent connections are looked for: a table walk, cheap even at 20,000 connections.</summary>
    private TimeSpan SweepEvery => TimeSpan.FromTicks(Math.Clamp(_sessions.ReadTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));

    private readonly IngestBatch _batch = new(BatchValues);
    private readonly List<EpollConnection> _closing = [];
    private readonly List<EpollConnection> _finishing = [];

    private unsafe void ReceiveLoop()
    {
        var events = GC.AllocateArray<LinuxEpoll.Event>(MaxEvents, pinned: true);
        var scratch = GC.AllocateUninitializedArray<byte>(LineDecoder.MaxLineLength + ReadSize, pinned: true);
        long drainStarted = 0, lastData = 0, lastSweep = Stopwatch.GetTimestamp(), pausedSince = 0;
        fixed (LinuxEpoll.Event* ev = events)
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (_stopping)
                {
                    // A graceful stop: keep reading until the connections have been quiet a moment.
                    if (drainStarted == 0)
                    {
                        drainStarted = lastData = now;
                    }

                    if (Stopwatch.GetElapsedTime(lastData, now) > StopLimits.DrainQuiet || Stopwatch.GetElapsedTime(drainStarted, now) > StopLimits.DrainMax)
                    {
                        break;
                    }
                }

                if (_sessions.Pipeline.Backpressured && !_stopping)
                {
                    // The disk refuses writes: read nothing, let the sockets fill and TCP push back.
                    _sessions.Pipeline.WhenWritable.Wait(100);
                    pausedSince = pausedSince == 0 ? now : pausedSince;
                    continue;
                }

                if (pausedSince != 0)
                {
                    ForgiveSilence(); // nobody was read while paused: nobody was silent
                    pausedSince = 0;
                }

                // Only the silence sweep needs a timed wake-up: data, accepts and hang-ups are events, and a stop
                // writes the eventfd. Without a read timeout the thread sleeps until something happens.
                var ready = LinuxEpoll.Wait(_epoll, ev, MaxEvents, _stopping ? 5 : _sessions.ReadTimeout > TimeSpan.Zero ? (int)SweepEvery.TotalMilliseconds : -1);
                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxEpoll.Eintr)
                    {
                        continue;
                    }

                    // Nothing can be read any more: hand over what was read, and have the server stop.
                    ServerLog.EpollWaitFailed(_logger, errno);
                    _failed.TrySetException(new IOException($"epoll_wait failed (errno {errno})."));
                    break;
                }

                if (ready > 0)
                {
                    ReadReady(new ReadOnlySpan<LinuxEpoll.Event>(ev, ready), scratch, Stopwatch.GetTimestamp());
                    lastData = Stopwatch.GetTimestamp(); // after the reads: a stop's quiet period starts when they end
                }

                if (_sessions.ReadTimeout > TimeSpan.Zero && Stopwatch.GetElapsedTime(lastSweep) > SweepEvery)
                {
                    lastSweep = Stopwatch.GetTimestamp();
                    CloseSilent();
                }

                HandOver();
            }
        }

        HandOver();
        _drained.TrySetResult(); // nothing more is handed over; the pipeline's final flush, sync and acknowledgements follow
        _closeAllowed.Wait();
        CloseAll();
    }

    /// <summary>
    /// Reads every socket of one wait's events. A method of its own, not the body of the receive loop, so that the
    /// JIT compiles it at full optimisation (a loop that never returns only gets on-stack-replacement code, and
    /// inlined there this would be too: seen in perf).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadReady(ReadOnlySpan<LinuxEpoll.Event> ready, byte[] scratch, long now)
    {
        foreach (ref readonly var ev in ready)
        {
            if (ev.Data != WakeData && ConnectionAt((int)ev.Data) is { Closing: false } connection)
            {
                Read(connection, scratch, now);
            }
        }
    }

    /// <summary>One read from a ready socket (<paramref name="now"/>: the wait's time): decode its complete lines into the batch.</summary>
    private unsafe void Read(EpollConnection connection, byte[] scratch, long now)
    {
        // The cut line from the last read goes first, so that the decoder sees one contiguous buffer. Most reads
        // carry nothing: the connection's own buffer is then not touched (one cache line less per read).
        var carried = connection.LeftoverLength;
        if (carried > 0)
        {
            connection.Leftover.AsSpan(0, carried).CopyTo(scratch);
        }

        nint received;
        fixed (byte* start = scratch) // pinned at allocation: fixing it costs nothing
        {
            received = LinuxEpoll.Recv(connection.Fd, start + carried, ReadSize, 0);
        }

        var errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (errno is LinuxEpoll.Eagain or LinuxEpoll.Eintr)
        {
            return;
        }

        connection.LastRead = now;
        var session = connection.Session;
        if (received <= 0)
        {
            connection.LeftoverLength = 0;
            if (session.Ended(carried, errno == 0 ? null : Marshal.GetPInvokeErrorMessage(errno), _stopping) && !connection.Finishing)
            {
                connection.Finishing = true; // its final acknowledgement comes after its values are handed over
                _finishing.Add(connection);
                return;
            }

            MarkClosing(connection);
            return;
        }

        var buffer = new ReadOnlySequence<byte>(scratch, 0, carried + (int)received);
        while (true)
        {
            var room = _batch.Room(session.Source);
            var count = session.Decode(ref buffer, room);
            _batch.Commit(count);
            if (count < room.Length || session.ClosingForGarbage)
            {
                break;
            }

            HandOverValues(); // the batch is full: hand it over and go on (closing waits for the end of the wait's events, whose slots it frees)
        }

        if (session.ClosingForGarbage)
        {
            MarkClosing(connection);
            return;
        }

        // What is left is the start of a line (the decoder consumes an overlong one itself).
        connection.LeftoverLength = (int)buffer.Length;
        if (!buffer.IsEmpty)
        {
            buffer.CopyTo(connection.Leftover);
        }
    }

    private void MarkClosing(EpollConnection connection)
    {
        connection.Closing = true;
        _closing.Add(connection);
    }

    private void ForgiveSilence()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var connection in Volatile.Read(ref _connections))
        {
            connection?.LastRead = now;
        }
    }

    /// <summary>Marks for closing every connection silent for longer than the read timeout.</summary>
    private void CloseSilent()
    {
        var deadline = Stopwatch.GetTimestamp() - (long)(_sessions.ReadTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var connection in Volatile.Read(ref _connections))
        {
            if (connection is { Closing: false } && connection.LastRead < deadline)
            {
                connection.Session.Silent(connection.LeftoverLength);
                MarkClosing(connection);
            }
        }
    }

    /// <summary>Hands the batch to the pipeline, then closes the connections that ended (after their values).</summary>
    private void HandOver()
    {
        HandOverValues();

        foreach (var connection in _finishing)
        {
            Finish(connection);
        }

        _finishing.Clear();
        foreach (var connection in _closing)
        {
            Close(connection);
        }

        _closing.Clear();
    }

    private void HandOverValues()
    {
        if (!_batch.IsEmpty)
        {
            _sessions.Pipeline.Ingest(_batch);
            _batch.Clear();
        }
    }

    /// <summary>After its values were handed over: the finished client stops holding the write point; stop reading it.</summary>
    private unsafe void Finish(EpollConnection connection)
    {
        connection.Session.Finish();

        // Level-triggered, a socket at end of stream is always readable: listen only for the hang-up and
        // errors (always reported), which come when the final acknowledgement has shut our side too.
        var ev = new LinuxEpoll.Event { Events = 0, Data = (ulong)connection.Slot };
        if (LinuxEpoll.Ctl(_epoll, LinuxEpoll.CtlMod, connection.Fd, &ev) != 0)
        {
            MarkClosing(connection);
        }
    }

    private void Close(EpollConnection connection)
    {
        connection.Session.Close();
        connection.Acks.Close(); // closing the descriptor takes it out of the epoll set
        RemoveFromTable(connection.Slot);
    }

    private void CloseAll()
    {
        var table = Volatile.Read(ref _connections);
        foreach (var connection in table)
        {
            if (connection is not null)
            {
                Close(connection);
            }
        }
    }
}
