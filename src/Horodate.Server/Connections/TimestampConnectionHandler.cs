using Horodate.Core.Diagnostics;
using System.Buffers;
using System.IO.Pipelines;
using Horodate.Core.Protocol;
using Horodate.Server.Diagnostics;
using Horodate.Server.Pipeline;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Connections;

/// <summary>
/// Serves one plain-protocol connection on Kestrel: reads with the connection's <see cref="PipeReader"/>,
/// decodes every complete line, hands the values to the <see cref="IngestPipeline"/> in chunks, and never
/// writes to the socket.
/// </summary>
internal sealed class TimestampConnectionHandler(IngestPipeline pipeline, ServerCounters counters, ILogger<TimestampConnectionHandler> logger)
    : ConnectionHandler
{
    /// <summary>Values decoded per lock of the pipeline: 256 × 8 B fits the stack and amortises the lock.</summary>
    private const int ChunkValues = 256;

    private static readonly RateLimiter s_rejectLog = new(TimeSpan.FromSeconds(1));

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var remote = connection.RemoteEndPoint?.ToString();
        var decoder = new LineDecoder();
        long values = 0;
        counters.ConnectionAccepted();
        ServerLog.ConnectionAccepted(logger, connection.ConnectionId, remote);

        // A graceful stop asks each connection to close: stop waiting for more, keep what is already read.
        using var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?
            .ConnectionClosedRequested.Register(static state => ((PipeReader)state!).CancelPendingRead(), input);

        var source = pipeline.OpenSource();
        try
        {
            var stopping = false;
            long leftover = -1;
            while (true)
            {
                ReadResult result;
                if (!stopping)
                {
                    result = await input.ReadAsync().ConfigureAwait(false);
                }
                else if (!input.TryRead(out result) || (result.Buffer.Length == leftover && !result.IsCompleted))
                {
                    break; // stopping, and nothing more has arrived since the last look
                }

                var buffer = result.Buffer;
                values += Consume(source, decoder, ref buffer, connection.ConnectionId, remote);
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
                    break;
                }

                // A graceful stop cancelled the read: take what the transport already holds, then leave.
                stopping |= result.IsCanceled;
                leftover = buffer.Length;

                // Everything was examined: wake up only when more bytes arrive.
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
            pipeline.CloseSource(source);
            counters.ConnectionClosed(forGarbage: decoder.ShouldClose);
            ServerLog.ConnectionClosed(logger, connection.ConnectionId, values, decoder.RejectedLines);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Decodes and hands over every complete line of <paramref name="buffer"/>, slicing it as it goes.</summary>
    private long Consume(int source, LineDecoder decoder, ref ReadOnlySequence<byte> buffer, string connectionId, string? remote)
    {
        Span<long> chunk = stackalloc long[ChunkValues];
        long total = 0;
        var rejectedBefore = decoder.RejectedLines;
        while (true)
        {
            var count = decoder.Decode(ref buffer, chunk);
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

        counters.LinesRejected(rejected, decoder.LastReject);
        if (s_rejectLog.TryAcquire(out var suppressed))
        {
            ServerLog.LineRejected(logger, connectionId, remote, decoder.LastReject, suppressed);
        }
    }
}
