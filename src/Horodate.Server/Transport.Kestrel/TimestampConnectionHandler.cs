using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Horodate.Server.Sessions;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Horodate.Server.Transport.Kestrel;

/// <summary>
/// Reads one connection on Kestrel for its <see cref="ProtocolSession"/> (opened at accept by
/// <see cref="KestrelTransport"/>): reads with the connection's <see cref="PipeReader"/>, has the session decode
/// every complete line, hands the values over in chunks, and tells the session how the connection ended. It
/// writes to the socket only for a client whose hello asked for acknowledgements (through an
/// <see cref="AckWriter"/>); a plain client never receives a byte.
/// </summary>
internal sealed class TimestampConnectionHandler(ProtocolSessions sessions, StopBarrier stopBarrier) : ConnectionHandler
{
    /// <summary>Values decoded per lock of the pipeline: 256 × 8 B fits the stack and amortises the lock.</summary>
    private const int ChunkValues = 256;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var session = connection.Features.Get<ProtocolSession>()!;
        var input = connection.Transport.Input;
        using var acks = new AckWriter(connection.Transport.Output);
        stopBarrier.Enter();
        session.Start(acks);

        // A graceful stop asks each connection to close: the pending read returns, and the drain begins.
        var closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var closeRequested = closing.Register(static state => ((PipeReader)state!).CancelPendingRead(), input);

        var timer = new CancellationTokenSource(); // the read timeout; once stopping, the drain's quiet time
        var stopping = false;
        long drainDeadline = 0;
        long unconsumed = 0; // the start of a line still waiting for its end
        try
        {
            while (!stopping || Stopwatch.GetTimestamp() <= drainDeadline)
            {
                if (!timer.TryReset())
                {
                    timer.Dispose();
                    timer = new CancellationTokenSource();
                }

                var wait = stopping ? StopLimits.DrainQuiet : sessions.ReadTimeout;
                if (wait > TimeSpan.Zero)
                {
                    timer.CancelAfter(wait);
                }

                if (sessions.Pipeline.Backpressured && !stopping && !closing.IsCancellationRequested)
                {
                    // The disk refuses writes: read nothing more until it takes them again, or the stop.
                    await sessions.Pipeline.WhenWritable.WaitAsync(closing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                ReadResult result;
                try
                {
                    result = await input.ReadAsync(timer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    if (!stopping)
                    {
                        session.Silent(unconsumed); // half a line left behind counts as truncated
                    }

                    break; // stopping: quiet, everything in flight has been read
                }

                var buffer = result.Buffer;
                Consume(session, ref buffer);
                if (session.ClosingForGarbage)
                {
                    input.AdvanceTo(buffer.End);
                    break;
                }

                if (result.IsCompleted)
                {
                    var waitsForFinalAck = session.Ended(buffer.Length, failure: null, stopping);
                    input.AdvanceTo(buffer.End);
                    if (waitsForFinalAck)
                    {
                        session.Finish();
                        await AwaitFinalAckAsync(acks, closing).ConfigureAwait(false);
                    }

                    break;
                }

                if (result.IsCanceled && !stopping)
                {
                    // A graceful stop: keep reading what is already on its way, until the peer goes quiet.
                    stopping = true;
                    drainDeadline = Stopwatch.GetTimestamp() + (long)(StopLimits.DrainMax.TotalSeconds * Stopwatch.Frequency);
                }

                // Everything was examined: wake up only when more bytes arrive.
                unconsumed = buffer.Length;
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or IOException)
        {
            _ = session.Ended(unconsumed, ex.Message, stopping);
        }
        finally
        {
            timer.Dispose();
            await stopBarrier.ArriveAsync().ConfigureAwait(false); // a graceful stop: the last acknowledgements first
            await acks.CompleteAsync(StopLimits.AckFlushMax).ConfigureAwait(false);
            session.Close();
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The acknowledged client half-closed and waits for its final acknowledgement: the connection stays open
    /// until it is written (the ack loop then ends), the read timeout passes, or the server stops.
    /// </summary>
    private async Task AwaitFinalAckAsync(AckWriter acks, CancellationToken closing)
    {
        try
        {
            var timeout = sessions.ReadTimeout > TimeSpan.Zero ? sessions.ReadTimeout : Timeout.InfiniteTimeSpan;
            await acks.Written.WaitAsync(timeout, closing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // no final acknowledgement in time, or the server is stopping: close anyway
        }
    }

    /// <summary>Decodes and hands over every complete line of <paramref name="buffer"/>, slicing it as it goes.</summary>
    private void Consume(ProtocolSession session, ref ReadOnlySequence<byte> buffer)
    {
        Span<long> chunk = stackalloc long[ChunkValues];
        while (true)
        {
            var count = session.Decode(ref buffer, chunk);
            if (count > 0)
            {
                sessions.Pipeline.Ingest(session.Source, chunk[..count]);
            }

            if (count < chunk.Length || session.ClosingForGarbage)
            {
                break;
            }
        }
    }
}
