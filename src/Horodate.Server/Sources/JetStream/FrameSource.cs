using Horodate.Core.Durability;
using Horodate.Server.Pipeline;
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
/// resumes at its ack floor and the pipeline recognises, by value, what the file already holds.
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

    private readonly IngestPipeline _pipeline;
    private readonly INatsJSContext _js;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (int Source, Target Target)> _edges = new(StringComparer.Ordinal);
    private readonly Queue<Pending> _pending = new();
    private readonly Lock _gate = new();
    private readonly FrameOrder _order = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _consume;
    private Task? _acknowledge;
    private long _frames, _acked;

    public FrameSource(IngestPipeline pipeline, INatsJSContext js, ILogger logger)
    {
        _pipeline = pipeline;
        _js = js;
        _logger = logger;
    }

    /// <summary>Frames taken from JetStream so far.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames that came behind a newer frame of their edge (<see cref="FrameOrder"/>): none while edges publish in order.</summary>
    public long FramesBehind => _order.Behind;

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
        _taken = consumer.Info.AckFloor.StreamSeq;
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

    private void Take(INatsJSMsg<byte[]> msg, bool ackable)
    {
        var edge = msg.Headers?[Frame.EdgeHeader].ToString();
        long[] values;
        try
        {
            values = string.IsNullOrEmpty(edge) ? [] : Frame.Values(msg.Data);
        }
        catch (InvalidDataException ex)
        {
            Log.BadFrame(_logger, msg.Subject, ex.Message);
            values = [];
        }

        Interlocked.Increment(ref _frames);
        var kind = msg.Headers?[Frame.KindHeader].ToString();
        if (edge is not null && !InOrder(edge, msg, ref kind))
        {
            lock (_gate)
            {
                _pending.Enqueue(new Pending(msg, ackable, Target.Done, long.MinValue));
            }

            return;
        }

        var late = kind == Frame.Late;
        Target target;
        if (kind == Frame.Idle && edge is not null && _edges.Remove(edge, out var idle))
        {
            // The edge has nobody left: its source finishes (stops holding the output now) and closes once durable.
            late = true;
            target = idle.Target;
            lock (_gate)
            {
                target.Source = idle.Source;
            }

            _pipeline.FinishSource(idle.Source);
        }
        else if (kind == Frame.Active && edge is not null && !_edges.ContainsKey(edge))
        {
            // The edge has connections again: its source holds the output from now until its first values.
            var source = _pipeline.OpenSource();
            var active = new Target();
            _pipeline.EnableAcks(source, null, active);
            _edges[edge] = (source, active);
            target = Target.Done;
        }
        else if (values.Length == 0)
        {
            target = Target.Done;
        }
        else if (late)
        {
            // Late at the edge: a source of its own that finishes at once; its final acknowledgement says it is durable.
            target = new Target();
            var source = _pipeline.OpenSource();
            lock (_gate)
            {
                target.Source = source;
            }

            _pipeline.EnableAcks(source, null, target);
            _pipeline.Ingest(source, values);
            _pipeline.FinishSource(source);
        }
        else
        {
            if (!_edges.TryGetValue(edge!, out var known))
            {
                known = (_pipeline.OpenSource(), new Target());
                _pipeline.EnableAcks(known.Source, null, known.Target);
                _edges[edge!] = known;
            }

            _pipeline.Ingest(known.Source, values);
            target = known.Target;
        }

        lock (_gate)
        {
            _pending.Enqueue(new Pending(msg, ackable, target, late ? long.MinValue : values.Length == 0 ? long.MinValue : values[^1]));
        }
    }

    /// <summary>
    /// Whether the frame is taken, after <see cref="FrameOrder"/>'s check. A frame behind its edge's newest (never, while
    /// edges publish in order) must not move the edge's state back: an idle or active frame is ignored, and a frame of
    /// values is taken as a late frame (a source of its own, finished at once): its values above the output still land
    /// in order, the rest in <c>.late</c>, none dropped and none written out of order.
    /// </summary>
    private bool InOrder(string edge, INatsJSMsg<byte[]> msg, ref string? kind)
    {
        var incarnation = Frame.Number(msg.Headers, Frame.IncarnationHeader);
        var number = Frame.Number(msg.Headers, Frame.NumberHeader);
        switch (_order.Check(edge, incarnation, number))
        {
            case FrameVerdict.AfterGap:
                Log.FrameGap(_logger, edge, incarnation, number);
                return true;
            case FrameVerdict.Behind:
                Log.FrameBehind(_logger, edge, incarnation, number, kind);
                if (kind == Frame.Ordered)
                {
                    kind = Frame.Late;
                    return true;
                }

                return kind == Frame.Late;
            default:
                return true;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Warning, "Taking frames from JetStream failed ({Reason}); retrying in 1 s.")]
        public static partial void ConsumeFailed(ILogger logger, string reason);

        [LoggerMessage(1302, LogLevel.Warning, "Acknowledging frames to JetStream failed ({Reason}); they will be redelivered and recognised.")]
        public static partial void AckFailed(ILogger logger, string reason);

        [LoggerMessage(1303, LogLevel.Error, "A frame on {Subject} was dropped: {Reason}")]
        public static partial void BadFrame(ILogger logger, string subject, string reason);

        [LoggerMessage(1306, LogLevel.Warning, "Frame {Number} of edge {Edge} ({Incarnation}) came after a gap in its numbers; taken.")]
        public static partial void FrameGap(ILogger logger, string edge, long incarnation, long number);

        [LoggerMessage(1307, LogLevel.Error, "Frame {Number} of edge {Edge} ({Incarnation}), {Kind}, came behind a newer one: a state frame is ignored, values are taken as late.")]
        public static partial void FrameBehind(ILogger logger, string edge, long incarnation, long number, string? kind);
    }
}
