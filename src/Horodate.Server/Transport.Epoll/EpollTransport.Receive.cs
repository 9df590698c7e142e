using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Horodate.Core.Diagnostics;
using Horodate.Core.Protocol;
using Horodate.Server.Diagnostics;
using Horodate.Core.Durability;
using Horodate.Server.Pipeline;

namespace Horodate.Server.Transport.Epoll;

internal sealed partial class EpollTransport
{
    /// <summary>Events taken per wait: enough for a burst of an aligned tick without a second wait.</summary>
    private const int MaxEvents = 512;

    /// <summary>Bytes read per ready socket: one read drains a connection that sends 14 bytes every 50 ms many times over.</summary>
    private const int ReadSize = 64 * 1024;

    /// <summary>Values handed to the pipeline in one lock at most (8 B each: 512 KiB).</summary>
    private const int BatchValues = 64 * 1024;

    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(20);

    /// <summary>How often silent connections are looked for: a table walk, cheap even at 20,000 connections.</summary>
    private TimeSpan SweepEvery => TimeSpan.FromTicks(Math.Clamp(_options.ReadTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
    private static readonly TimeSpan DrainMax = TimeSpan.FromMilliseconds(250);

    private readonly RateLimiter _rejectLog = new(TimeSpan.FromSeconds(1));
    private readonly IngestBatch _batch = new(BatchValues);
    private readonly List<EpollConnection> _closing = [];
    private readonly List<EpollConnection> _finishing = [];

    private unsafe void ReceiveLoop()
    {
        var events = GC.AllocateArray<Interop.EpollEvent>(MaxEvents, pinned: true);
        var scratch = GC.AllocateUninitializedArray<byte>(LineDecoder.MaxLineLength + ReadSize);
        long drainStarted = 0, lastData = 0, lastSweep = Stopwatch.GetTimestamp(), pausedSince = 0;
        fixed (Interop.EpollEvent* ev = events)
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

                    if (Stopwatch.GetElapsedTime(lastData, now) > DrainQuiet || Stopwatch.GetElapsedTime(drainStarted, now) > DrainMax)
                    {
                        break;
                    }
                }

                if (_pipeline.Backpressured && !_stopping)
                {
                    // The disk refuses writes: read nothing, let the sockets fill and TCP push back.
                    _pipeline.WhenWritable.Wait(100);
                    pausedSince = pausedSince == 0 ? now : pausedSince;
                    continue;
                }

                if (pausedSince != 0)
                {
                    ForgiveSilence(); // nobody was read while paused: nobody was silent
                    pausedSince = 0;
                }

                var ready = Interop.EpollWait(_epoll, ev, MaxEvents, _stopping ? 5 : 100);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Interop.Eintr)
                    {
                        continue;
                    }

                    ServerLog.ConnectionFailed(_logger, "epoll", $"epoll_wait failed (errno {Marshal.GetLastPInvokeError()})");
                    break;
                }

                for (var i = 0; i < ready; i++)
                {
                    if (ConnectionAt((int)ev[i].Data) is { Closing: false } connection)
                    {
                        Read(connection, scratch);
                    }
                }

                if (ready > 0)
                {
                    lastData = Stopwatch.GetTimestamp();
                }

                if (_options.ReadTimeout > TimeSpan.Zero && Stopwatch.GetElapsedTime(lastSweep) > SweepEvery)
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

    /// <summary>One read from a ready socket: decode its complete lines into the batch.</summary>
    private void Read(EpollConnection connection, byte[] scratch)
    {
        // The cut line from the last read goes first, so that the decoder sees one contiguous buffer.
        var carried = connection.LeftoverLength;
        connection.Leftover.AsSpan(0, carried).CopyTo(scratch);
        var received = connection.Socket.Receive(scratch.AsSpan(carried, ReadSize), SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            return;
        }

        connection.LastRead = Stopwatch.GetTimestamp();

        if (error != SocketError.Success || received == 0)
        {
            if (error != SocketError.Success)
            {
                ServerLog.ConnectionFailed(_logger, connection.Id, error.ToString());
            }

            var rejectedBefore = connection.Decoder.RejectedLines;
            connection.Decoder.Complete(carried);
            ReportRejects(connection, rejectedBefore);
            connection.LeftoverLength = 0;
            if (error == SocketError.Success && connection.Acknowledged && !connection.Finishing && !_stopping)
            {
                // An acknowledged client half-closed: it has sent everything and waits for its last
                // acknowledgement. TCP's own end-of-stream says so; no protocol line is needed, and a client
                // that dies is told apart by a reset or the read timeout.
                connection.Finishing = true;
                _finishing.Add(connection);
                return;
            }

            connection.Closing = true;
            _closing.Add(connection);
            return;
        }

        var buffer = new ReadOnlySequence<byte>(scratch, 0, carried + received);
        var before = connection.Decoder.RejectedLines;
        while (true)
        {
            var room = _batch.Room(connection.Source);
            var count = connection.Decoder.Decode(ref buffer, room);
            _batch.Commit(count);
            if (connection.Decoder.AckRequested && !connection.Acknowledged)
            {
                StartAcknowledging(connection); // before any of its values reach the engine
            }

            connection.Values += count;
            if (count < room.Length || connection.Decoder.ShouldClose)
            {
                break;
            }

            HandOver(); // the batch is full: hand it over and go on
        }

        ReportRejects(connection, before);
        if (connection.Decoder.ShouldClose)
        {
            ServerLog.ClosingForGarbage(_logger, connection.Id, connection.Remote, connection.Decoder.LastReject, connection.Decoder.RejectedLines);
            connection.Closing = true;
            _closing.Add(connection);
            return;
        }

        // What is left is the start of a line (the decoder consumes an overlong one itself).
        connection.LeftoverLength = (int)buffer.Length;
        buffer.CopyTo(connection.Leftover);
    }

    private void StartAcknowledging(EpollConnection connection)
    {
        connection.Acknowledged = true;
        connection.SendOk();
        _pipeline.EnableAcks(connection.Source, connection.Decoder.ClientId, connection);
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
        var deadline = Stopwatch.GetTimestamp() - (long)(_options.ReadTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var connection in Volatile.Read(ref _connections))
        {
            if (connection is { Closing: false } && connection.LastRead < deadline)
            {
                // Half a line and then silence (slowloris): the partial line counts as truncated.
                var before = connection.Decoder.RejectedLines;
                connection.Decoder.Complete(connection.LeftoverLength);
                ReportRejects(connection, before);
                _admission.ClosingIdle(connection.Id, connection.Remote);
                connection.Closing = true;
                _closing.Add(connection);
            }
        }
    }

    /// <summary>Hands the batch to the pipeline, then closes the connections that ended (after their values).</summary>
    private void HandOver()
    {
        if (!_batch.IsEmpty)
        {
            _pipeline.Ingest(_batch);
            _batch.Clear();
        }

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

    /// <summary>After its values were handed over: the finished client stops holding the write point; stop reading it.</summary>
    private unsafe void Finish(EpollConnection connection)
    {
        _pipeline.FinishSource(connection.Source);

        // Level-triggered, a socket at end of stream is always readable: listen only for the hang-up and
        // errors (always reported), which come when the final acknowledgement has shut our side too.
        var ev = new Interop.EpollEvent { Events = 0, Data = (ulong)connection.Slot };
        if (Interop.EpollCtl(_epoll, Interop.EpollCtlMod, (int)connection.Socket.Handle, &ev) != 0)
        {
            connection.Closing = true;
            _closing.Add(connection);
        }
    }

    private void Close(EpollConnection connection)
    {
        _pipeline.CloseSource(connection.Source);
        connection.Socket.Dispose(); // closing the descriptor takes it out of the epoll set
        RemoveFromTable(connection.Slot);
        _counters.ConnectionClosed(forGarbage: connection.Decoder.ShouldClose);
        ServerLog.ConnectionClosed(_logger, connection.Id, connection.Values, connection.Decoder.RejectedLines);
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

    private void ReportRejects(EpollConnection connection, long before)
    {
        var rejected = connection.Decoder.RejectedLines - before;
        if (rejected == 0)
        {
            return;
        }

        _counters.LinesRejected(rejected);
        if (_rejectLog.TryAcquire(out var suppressed))
        {
            ServerLog.LineRejected(_logger, connection.Id, connection.Remote, connection.Decoder.LastReject, suppressed);
        }
    }
}
