using Horodate.Core.Diagnostics;
using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Horodate.Core.Protocol;
using Horodate.Server.Diagnostics;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Transport.Kestrel;

/// <summary>
/// Serves one connection on Kestrel: reads with the connection's <see cref="PipeReader"/>, decodes every
/// complete line, hands the values to the <see cref="IngestPipeline"/> in chunks. It writes to the socket only
/// for a client whose hello asked for acknowledgements (through an <see cref="AckWriter"/>); a plain client
/// never receives a byte. Admission and the engine source belong to <see cref="KestrelTransport"/>'s accept step.
/// </summary>
internal sealed class TimestampConnectionHandler(
    IngestPipeline pipeline, ServerCounters counters, Admission admission, StopBarrier stopBarrier, ServerOptions options, ILogger<TimestampConnectionHandler> logger)
    : ConnectionHandler
{
    /// <summary>Values decoded per lock of the pipeline: 256 × 8 B fits the stack and amortises the lock.</summary>
    private const int ChunkValues = 256;

    /// <summary>
    /// On a graceful stop, a connection is read until it has been quiet this long: bytes already in flight
    /// arrive within microseconds on loopback and within a round trip elsewhere.
    /// </summary>
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(20);

    /// <summary>A peer that never goes quiet is read for this long after the stop, no longer.</summary>
    private static readonly TimeSpan DrainMax = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the last acknowledgement may take to reach a connection that is ending (a peer that does not read).</summary>
    private static readonly TimeSpan AckFlushMax = TimeSpan.FromSeconds(1);

    private readonly RateLimiter _rejectLog = new(TimeSpan.FromSeconds(1));

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var remote = connection.RemoteEndPoint?.ToString();
        var decoder = new LineDecoder();
        long values = 0;
        stopBarrier.Enter();
        counters.ConnectionAccepted();
        ServerLog.ConnectionAccepted(logger, connection.ConnectionId, remote);

        // A graceful stop asks each connection to close: the pending read returns, and the drain begins.
        var closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var closeRequested = closing.Register(static state => ((PipeReader)state!).CancelPendingRead(), input);

        var source = (int)connection.Items[KestrelTransport.SourceKey]!; // opened at accept, closed after this handler
        AckWriter? acks = null;
        using var stopAcks = new CancellationTokenSource();
        var ackLoop = Task.CompletedTask;
        var timer = new CancellationTokenSource(); // the read timeout; once stopping, the drain's quiet time
        var stopping = false;
        long drainDeadline = 0;
        long unconsumed = 0; // the start of a line still waiting for its end
        try
        {
            while (true)
            {
                if (stopping && Stopwatch.GetTimestamp() > drainDeadline)
                {
                    break;
                }

                if (!timer.TryReset())
                {
                    timer.Dispose();
                    timer = new CancellationTokenSource();
                }

                var wait = stopping ? DrainQuiet : options.ReadTimeout;
                if (wait > TimeSpan.Zero)
                {
                    timer.CancelAfter(wait);
                }

                if (pipeline.Backpressured && !stopping)
                {
                    // The disk refuses writes: read nothing more until it takes them again.
                    await pipeline.WhenWritable.ConfigureAwait(false);
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
                        // Silent past the read timeout; half a line left behind counts as truncated.
                        var before = decoder.RejectedLines;
                        decoder.Complete(unconsumed);
                        ReportRejects(decoder, decoder.RejectedLines - before, connection.ConnectionId, remote);
                        admission.ClosingIdle(connection.ConnectionId, remote);
                    }

                    break; // stopping: quiet, everything in flight has been read
                }

                var buffer = result.Buffer;
                values += Consume(output, source, decoder, ref buffer, connection.ConnectionId, remote, ref acks);
                if (acks is not null && ackLoop.IsCompleted && !stopAcks.IsCancellationRequested)
                {
                    ackLoop = acks.RunAsync(stopAcks.Token);
                }

                if (decoder.ShouldClose)
                {
                    ServerLog.ClosingForGarbage(logger, connection.ConnectionId, remote, decoder.LastReject, decoder.RejectedLines);
                    input.AdvanceTo(buffer.End);
                    break;
                }

                if (result.IsCompleted)
                {
                    var before = decoder.RejectedLines;
                    decoder.Complete(buffer);
                    ReportRejects(decoder, decoder.RejectedLines - before, connection.ConnectionId, remote);
                    input.AdvanceTo(buffer.End);
                    if (acks is not null && !stopping)
                    {
                        await AwaitFinalAckAsync(source, ackLoop, closing).ConfigureAwait(false);
                    }

                    break;
                }

                if (result.IsCanceled && !stopping)
                {
                    // A graceful stop: keep reading what is already on its way, until the peer goes quiet.
                    stopping = true;
                    drainDeadline = Stopwatch.GetTimestamp() + (long)(DrainMax.TotalSeconds * Stopwatch.Frequency);
                }

                // Everything was examined: wake up only when more bytes arrive.
                unconsumed = buffer.Length;
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (ConnectionResetException ex)
        {
            ServerLog.ConnectionFailed(logger, connection.ConnectionId, ex.Message);
        }
        catch (ConnectionAbortedException ex)
        {
            ServerLog.ConnectionFailed(logger, connection.ConnectionId, ex.Message);
        }
        catch (IOException ex)
        {
            ServerLog.ConnectionFailed(logger, connection.ConnectionId, ex.Message);
        }
        finally
        {
            timer.Dispose();
            await stopBarrier.ArriveAsync().ConfigureAwait(false); // a graceful stop: the last acknowledgements first
            acks?.Finish();
            stopAcks.CancelAfter(AckFlushMax);
            await ackLoop.ConfigureAwait(false);
            pipeline.DisableAcks(source);
            acks?.Dispose();
            counters.ConnectionClosed(forGarbage: decoder.ShouldClose);
            ServerLog.ConnectionClosed(logger, connection.ConnectionId, values, decoder.RejectedLines);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The acknowledged client half-closed: it has sent everything and waits for its last acknowledgement. TCP's
    /// own end-of-stream says so (no protocol line needed; a client that dies resets or times out instead). The
    /// source stops holding the write point now; the connection stays open until the final acknowledgement is
    /// written (the ack loop then ends), the read timeout passes, or the server stops.
    /// </summary>
    private async Task AwaitFinalAckAsync(int source, Task ackLoop, CancellationToken closing)
    {
        pipeline.FinishSource(source);
        try
        {
            var timeout = options.ReadTimeout > TimeSpan.Zero ? options.ReadTimeout : Timeout.InfiniteTimeSpan;
            await ackLoop.WaitAsync(timeout, closing).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // no final acknowledgement in time, or the server is stopping: close anyway
        }
    }

    /// <summary>Decodes and hands over every complete line of <paramref name="buffer"/>, slicing it as it goes.</summary>
    private long Consume(
        PipeWriter output,
        int source, LineDecoder decoder, ref ReadOnlySequence<byte> buffer, string connectionId, string? remote, ref AckWriter? acks)
    {
        Span<long> chunk = stackalloc long[ChunkValues];
        long total = 0;
        var rejectedBefore = decoder.RejectedLines;
        while (true)
        {
            var count = decoder.Decode(ref buffer, chunk);
            if (decoder.AckRequested && acks is null)
            {
                // The hello: acknowledge from now on (before any of its values reach the engine).
                acks = new AckWriter(output);
                pipeline.EnableAcks(source, decoder.ClientId, acks);
            }

            if (count > 0)
            {
                pipeline.Ingest(source, chunk[..count]);
                total += count;
            }

            if (count < chunk.Length || decoder.ShouldClose)
            {
                break;
            }
        }

        ReportRejects(decoder, decoder.RejectedLines - rejectedBefore, connectionId, remote);
        return total;
    }

    private void ReportRejects(LineDecoder decoder, long rejected, string connectionId, string? remote)
    {
        if (rejected == 0)
        {
            return;
        }

        counters.LinesRejected(rejected);
        if (_rejectLog.TryAcquire(out var suppressed))
        {
            ServerLog.LineRejected(logger, connectionId, remote, decoder.LastReject, suppressed);
        }
    }
}
