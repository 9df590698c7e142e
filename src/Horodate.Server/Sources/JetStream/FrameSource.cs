using Horodate.Core.Durability;
using Horodate.Server.Sinks.JetStream;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The root's source: a durable pull consumer on every edge's subject feeds the ingest pipeline, each edge one
/// ascending source of the same ordering engine (as a connection is on a single server); a late frame is a
/// source of its own that finishes at once, so that its values (late at the edge) never hold the output back.
/// JetStream is acknowledged (<c>AckPolicy = All</c>: one acknowledgement covers every earlier message) only for
/// the longest prefix of delivered frames whose values the pipeline has fsynced; after a restart the consumer
/// resumes at its ack floor and the pipeline recognises, by value, what the file already holds. The frame protocol
/// itself (edges' lives and sources, the durable prefix) is <see cref="FrameIntake"/>'s, free of NATS; this class
/// feeds it from JetStream and acknowledges what it finds durable.
/// </summary>
internal sealed partial class FrameSource : IAsyncDisposable
{
    /// <summary>The durable consumer's name.</summary>
    public const string ConsumerName = "horodate-root";

    /// <summary>
    /// How often the prefix of durable frames is acknowledged (50 ms: a fifth of the pipeline's default sync
    /// interval, so an acknowledgement trails the fsync by at most that much).
    /// </summary>
    private static readonly TimeSpan AckPeriod = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Frames delivered and not yet acknowledged, at most (5 s of 3 edges publishing every 10 ms is 1,500; the
    /// bound only stops a stuck root from taking the whole stream into memory).
    /// </summary>
    private const int MaxAckPending = 20_000;

    /// <summary>
    /// The consumer's pull requests: each expires after 2 s, with a heartbeat every second. A pull request dies with
    /// nats-server, and NATS.Net replaces one only when it expires or misses heartbeats (by default 30 s and 15 s):
    /// after a kill -9 and restart of nats-server the root then took nothing for ~30 s, as long as or longer than its
    /// idle timeout (--max-delay: 5 s by default, 30 s in the cluster test), so every edge's source stopped holding the
    /// output and the first frames after the outage landed in .late (the test's 1-13 acknowledged values a run). 2 s keeps that well inside the idle timeout;
    /// the cost is one pull request every 2 s while the stream is quiet.
    /// </summary>
    private static readonly NatsJSConsumeOpts PullOpts = new()
    {
        MaxMsgs = 1_000, // NATS.Net's default (one of MaxMsgs or MaxBytes must be set)
        Expires = TimeSpan.FromSeconds(2),
        IdleHeartbeat = TimeSpan.FromSeconds(1),
    };

    private readonly FrameIntake _intake;
    private readonly INatsJSContext _js;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _consume;
    private Task? _acknowledge;
    private long _acked;

    /// <param name="sources">The root's ingest pipeline.</param>
    /// <param name="js">JetStream.</param>
    /// <param name="time">The engine's clock (its monotonic time measures <paramref name="idleTimeout"/>).</param>
    /// <param name="idleTimeout">The engine's idle timeout (<see cref="FrameIntake"/>: a restarted edge's previous life).</param>
    /// <param name="logger">Where anomalies are reported.</param>
    public FrameSource(IIngestSources sources, INatsJSContext js, TimeProvider time, TimeSpan idleTimeout, ILogger logger)
    {
        _intake = new FrameIntake(sources, time, idleTimeout, logger);
        _js = js;
        _logger = logger;
    }

    /// <summary>Frames taken from JetStream so far.</summary>
    public long Frames => _intake.Frames;

    /// <summary>Frames that came behind a newer frame of their edge (<see cref="FrameOrder"/>): none while edges publish in order.</summary>
    public long FramesBehind => _intake.FramesBehind;

    /// <summary>Frames acknowledged to JetStream so far (as durable in the output).</summary>
    public long Acknowledged => Interlocked.Read(ref _acked);

    /// <summary>Creates (or finds) the durable consumer and starts taking frames.</summary>
    public async Task StartAsync(CancellationToken cancel)
    {
        var consumer = await _js.CreateOrUpdateConsumerAsync(NatsSettings.StreamName, new ConsumerConfig(ConsumerName)
        {
            AckPolicy = ConsumerConfigAckPolicy.All,
            FilterSubject = NatsSettings.SubjectPrefix + ">", // one subject: 2.9 ignores FilterSubjects
            MaxAckPending = MaxAckPending,
            AckWait = TimeSpan.FromSeconds(30),
        }, cancel).ConfigureAwait(false);
        _intake.Taken = consumer.Info.AckFloor.StreamSeq;
        _consume = Task.Run(() => ConsumeAsync(consumer, _stop.Token), CancellationToken.None);
        _acknowledge = Task.Run(() => AcknowledgeLoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Stops taking frames (the pipeline's stop then writes and syncs what was taken).</summary>
    public async Task StopTakingAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Quietly(_consume).ConfigureAwait(false);
        await Quietly(_acknowledge).ConfigureAwait(false);
    }

    /// <summary>After the pipeline's final sync: acknowledges every frame it made durable.</summary>
    public Task AcknowledgeDurableAsync() => AcknowledgeAsync(CancellationToken.None);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopTakingAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private static async Task Quietly(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the stop
        }
    }

    private async Task ConsumeAsync(INatsJSConsumer consumer, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            try
            {
                await foreach (var msg in consumer.ConsumeAsync<byte[]>(opts: PullOpts, cancellationToken: cancel).ConfigureAwait(false))
                {
                    await TakeInOrderAsync(msg, cancel).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !cancel.IsCancellationRequested)
            {
                Log.ConsumeFailed(_logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancel).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes a frame JetStream delivered (<see cref="FrameIntake.Take"/>).</summary>
    private void Take(INatsJSMsg<byte[]> msg, bool ackable) => _intake.Take(Message(msg), ackable);

    private static FrameMessage Message(INatsJSMsg<byte[]> msg) => FrameMessage.From(msg.Metadata?.Sequence.Stream ?? 0, msg.Metadata?.Timestamp, msg.Headers, msg.Data, msg);

    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Warning, "Taking frames from JetStream failed ({Reason}); retrying in 1 s.")]
        public static partial void ConsumeFailed(ILogger logger, string reason);

        [LoggerMessage(1302, LogLevel.Warning, "Acknowledging frames to JetStream failed ({Reason}); they will be redelivered and recognised.")]
        public static partial void AckFailed(ILogger logger, string reason);
    }
}
