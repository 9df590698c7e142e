using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Horodate.Client.Logging;
using Horodate.Client.Metrics;
using Horodate.Client.Status;
using Horodate.Metrics;
using Microsoft.Extensions.Logging;

namespace Horodate.Client.Load;

/// <summary>
/// Opens n connections to the server and sends the current Unix time in milliseconds on each one every
/// interval, on a fixed schedule, until the duration ends or it is stopped. Lost connections come back
/// with exponential backoff; the schedule never waits for them.
/// </summary>
public sealed partial class LoadClient : IDisposable
{
    private readonly ClientOptions _options;
    private readonly IProgress<ClientStatus>? _progress;
    private readonly ILogger _logger;
    private readonly IPEndPoint[] _endpoints;

    /// <summary>
    /// Per address: 1 once any connection to it was answered in acknowledged mode. From then on a hello to that
    /// address is never taken for unanswered: a busy server (a 5,000-connection ramp behind a proxy) answers late,
    /// it does not turn plain.
    /// </summary>
    private readonly int[] _acknowledges;
    private readonly ClientConnection[] _connections;
    private readonly SendScheduler[] _schedulers;
    private readonly CancellationTokenSource _connecting = new();
    private readonly SemaphoreSlim _connectGate;
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>
    /// How long a connection's values wait for their acknowledgement, for the first size of its unacknowledged buffer:
    /// the server's default <c>--ack-interval</c> (5 s) and a quarter more for the sync that comes before it. At the
    /// default 50 ms interval, 125 values (0.5 KiB) from the first one, instead of growing to it by half from 8.
    /// </summary>
    private static readonly TimeSpan ValuesKeptBetweenAcks = TimeSpan.FromSeconds(6.25);

    /// <summary>The longest the schedule waits for the first connection attempts to succeed.</summary>
    private static readonly TimeSpan RampTimeout = TimeSpan.FromSeconds(10);

    private LoadClient(ClientOptions options, IPEndPoint[] endpoints, IProgress<ClientStatus>? progress, ILogger logger)
    {
        _options = options;
        _endpoints = endpoints;
        _acknowledges = new int[endpoints.Length];
        _progress = progress;
        _logger = logger;
        _connectGate = new SemaphoreSlim(options.ConnectConcurrency);

        // Connection i sends at i/n of the interval (all at 0 when aligned); thread t owns every i ≡ t (mod T),
        // so each thread's sends are spread evenly too.
        var intervalTicks = (long)(options.Interval.TotalSeconds * Stopwatch.Frequency);
        var unackedLimit = (int)Math.Clamp(options.UnackedWindow / options.Interval, 1, 1 << 20);
        var unackedCapacity = Math.Min(unackedLimit, (int)Math.Max(UnackedBuffer.DefaultCapacity, ValuesKeptBetweenAcks / options.Interval));
        _connections = new ClientConnection[options.Connections];
        Action firstUp = NoteFirstUp; // one delegate for all (a method group converted per connection: 64 B each)
        for (var i = 0; i < _connections.Length; i++)
        {
            var offset = options.Aligned ? 0 : (long)((double)i * intervalTicks / options.Connections);
            _connections[i] = new ClientConnection(i, offset, unackedLimit, unackedCapacity) { FirstUp = firstUp };
        }

        var threads = Math.Clamp(options.SchedulerThreads, 1, Math.Max(1, options.Connections));
        _schedulers = new SendScheduler[threads];
        for (var t = 0; t < threads; t++)
        {
            var share = _connections.Where(c => c.Index % threads == t).ToArray();
            _schedulers[t] = new SendScheduler(t, share, _connections, intervalTicks, options.Acknowledged, OnConnectionDown)
            {
                HelloAnswered = NoteHelloAnswered,
                HelloUnanswered = NoteHelloUnanswered,
            };
            if (options.AckedRecordPath is not null)
            {
                foreach (var connection in share)
                {
                    connection.AckedRecord = _schedulers[t].AckedRecord;
                }
            }
        }
    }

    /// <summary>
    /// Runs the load until <see cref="ClientOptions.Duration"/> ends or <paramref name="stop"/> fires, then closes
    /// every connection cleanly (so the server reads everything sent) and writes the record.
    /// </summary>
    /// <exception cref="System.Net.Sockets.SocketException">The server's name does not resolve.</exception>
    /// <param name="options">What to run.</param>
    /// <param name="progress">Gets a <see cref="ClientStatus"/> every <see cref="ClientOptions.StatusInterval"/>, from the ramp on; or nothing.</param>
    /// <param name="logger">Where connection trouble is told.</param>
    /// <param name="stop">Stops the run early (Ctrl-C).</param>
    public static async Task<ClientSummary> RunAsync(ClientOptions options, IProgress<ClientStatus>? progress, ILogger logger, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var endpoint = await ResolveAsync(options, stop).ConfigureAwait(false);
        using var client = new LoadClient(options, endpoint, progress, logger);
        return await client.RunAsync(stop).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _connecting.Dispose();
        _connectGate.Dispose();
    }

    private async Task<ClientSummary> RunAsync(CancellationToken stop)
    {
        using var meters = new MeterFactory();
        var metrics = new ClientMetrics(meters, TakeStatus);
        foreach (var scheduler in _schedulers)
        {
            scheduler.Metrics = metrics;
        }

        // The schedule runs from the start: each connection sends from its first slot after it is up. A
        // connection holds the server's write point from its accept until its first value, so one that waited
        // for the whole ramp would hold everyone's output back for as long (300 connections: ~0.85 s); this
        // way a joining connection costs at most one interval. The duration counts from the end of the ramp
        // (bounded), so the full load lasts that long. Connections still down then keep trying in the background.
        using var stopReporting = new CancellationTokenSource();
        var reporting = ReportAsync(stopReporting.Token);
        var scheduleStart = Stopwatch.GetTimestamp();
        foreach (var scheduler in _schedulers)
        {
            scheduler.Start(scheduleStart);
        }

        var ramp = RampAsync();
        try
        {
            await ramp.WaitAsync(RampTimeout, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // go on with the connections that are up
        }

        var rampTime = Stopwatch.GetElapsedTime(_started);
        using var end = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (_options.Duration is { } duration)
        {
            end.CancelAfter(duration);
        }

        _ramping = false;
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, end.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the duration is over, or the client was stopped
        }

        await stopReporting.CancelAsync().ConfigureAwait(false);
        await reporting.ConfigureAwait(false);

        // Stop, in two phases. First no more connects (every connector ended: the connections are the stop's from
        // here) and no more sends; the scheduler threads go on reading what the server sends while every
        // connection is half-closed and the last acknowledgements come.
        await EndConnectorsAsync().ConfigureAwait(false);
        await ramp.ConfigureAwait(false);

        // --ack-wait bounds the whole end: what the connections owe going out (a resend through a full socket), then
        // the last acknowledgements.
        var stopped = Stopwatch.GetTimestamp();
        var ackDeadline = stopped + (_options.Acknowledged ? (long)(_options.AckWait.TotalSeconds * Stopwatch.Frequency) : 0);
        foreach (var scheduler in _schedulers)
        {
            scheduler.StopSending(ackDeadline);
        }

        var sending = Stopwatch.GetElapsedTime(scheduleStart, stopped);
        await FinishSendingAsync().ConfigureAwait(false);
        await WaitForAcksAsync(ackDeadline).ConfigureAwait(false);

        // Then the threads end, and every socket closes with a FIN after its last byte.
        foreach (var scheduler in _schedulers)
        {
            scheduler.Stop();
        }

        SettleAcks();
        var last = TakeStatus(); // the schedulers have stopped: exact
        CloseAll();

        long? recorded = null;
        if (_options.RecordPath is { } path)
        {
            recorded = SentRecord.WriteSorted(_schedulers.Select(s => s.Tally.Record).ToArray(), path);
            ClientLog.RecordWritten(_logger, recorded.Value, path);
        }

        if (_options.AckedRecordPath is { } ackedPath)
        {
            var acked = SentRecord.WriteSorted(_schedulers.Select(s => s.AckedRecord).ToArray(), ackedPath);
            ClientLog.RecordWritten(_logger, acked, ackedPath);
        }

        var (steady, steadySent) = SteadyState(stopped, last.Sent);
        return ClientSummary.From(last, sending, rampTime, steady, steadySent, _options.Connections / _options.Interval.TotalSeconds, recorded);
    }

    private volatile bool _ramping = true;

    /// <summary>
    /// At stop, in acknowledged mode: waits (until <paramref name="deadline"/>, <see cref="ClientOptions.AckWait"/> after
    /// the stop began) until every value sent is acknowledged. The schedulers have stopped sending (they still read), so the buffers can be read from here.
    /// </summary>
    private async Task WaitForAcksAsync(long deadline)
    {
        if (!_options.Acknowledged)
        {
            return;
        }

        // Polled every 10 ms (the last acknowledgements come within a sync of the half-close): a poll looks at the
        // connections still waiting in order, and stops at the first one that still waits (an acknowledgement never
        // goes back), so that the polls before the sync that acknowledges them all look at one connection each, not
        // at thousands (a cache miss each: ~7 % of the stop's CPU at 5,000). The buffers are trimmed once, at the end.
        var waiting = _connections.Where(c => c.AwaitsAck).ToArray();
        var settled = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            while (settled < waiting.Length && !waiting[settled].AwaitsAck)
            {
                settled++;
            }

            if (settled == waiting.Length)
            {
                break;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>At stop, once the scheduler threads ended: forgets the acknowledged values, and says how many were not.</summary>
    private void SettleAcks()
    {
        if (!_options.Acknowledged)
        {
            return;
        }

        long left = 0;
        foreach (var connection in _connections)
        {
            left += connection.SettleAcks();
        }

        if (left > 0)
        {
            ClientLog.UnackedAtStop(_logger, left, _options.AckWait.TotalSeconds);
        }
    }

    /// <summary>
    /// In acknowledged mode, once the schedulers have stopped sending: half-closes every connection (TLS: its
    /// close_notify first), which tells the server that nothing more will come. It then stops waiting for these
    /// connections at once (rather than after its idle timeout), sends each its final acknowledgement after
    /// the next sync, and closes. TCP's half-close says exactly this, so the protocol needs no line for it.
    /// </summary>
    private async Task FinishSendingAsync()
    {
        if (!_options.Acknowledged)
        {
            return;
        }

        foreach (var connection in _connections)
        {
            await connection.HalfCloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>At stop, once the schedulers stopped: each connection still up closes with a FIN after its last byte.</summary>
    private void CloseAll()
    {
        foreach (var connection in _connections)
        {
            connection.Close();
        }
    }
}
