using System.Diagnostics;
using System.Net;
using Horodate.Core.Diagnostics;
using Horodate.Core.Durability;
using Horodate.Logging;
using Horodate.Metrics;
using Horodate.Native;
using System.Diagnostics.Metrics;
using Horodate.Server.Http;
using Horodate.Server.Logging;
using Horodate.Server.Metrics;
using Horodate.Server.Pipeline;
using Horodate.Server.Status;
using Horodate.Server.Transport;
using Horodate.Server.Transport.Epoll;
using Horodate.Server.Transport.Kestrel;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Hosting;

/// <summary>
/// A running Horodate server: a transport accepts the connections and decodes them, the ingest pipeline
/// orders the values and appends them to the output file.
/// </summary>
/// <remarks>
/// <see cref="StopAsync"/> is the graceful stop: no new connections, every connection hands over what it
/// already has in flight, every received value is written in order, the files are fsynced. Embeddable:
/// the server handles no signals itself.
/// </remarks>
public sealed class HorodateServer : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly IngestPipeline _pipeline;
    private readonly StatusSource _status;
    private readonly StatusReporter _reporter;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly MeterFactory _meters;
    private readonly HttpEndpoint? _http;
    private ServerSummary? _summary;

    private HorodateServer(
        ITransport transport, TransportKind kind, IngestPipeline pipeline, StatusSource status, StatusReporter reporter,
        ILoggerFactory loggerFactory, ILogger logger, MeterFactory meters, HttpEndpoint? http)
    {
        _meters = meters;
        _http = http;
        _transport = transport;
        Transport = kind;
        _pipeline = pipeline;
        _status = status;
        _reporter = reporter;
        _loggerFactory = loggerFactory;
        _logger = logger;
        Endpoints = transport.Endpoints;
        var failing = new CancellationTokenSource(); // never disposed: it has no timer
        Failing = failing.Token;
        Failure = FirstFailureAsync(transport.Failed, pipeline.Failed);
        Failure.ContinueWith(
            static (_, state) => ((CancellationTokenSource)state!).Cancel(),
            failing, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>
    /// Cancelled when the server can no longer serve (it logged a critical error; see <see cref="Failure"/>): the host
    /// should call <see cref="StopAsync"/>, and exit with <see cref="ServerFailure.ExitCode"/>.
    /// </summary>
    public CancellationToken Failing { get; }

    /// <summary>
    /// Completes, with why, when the server can no longer serve: its transport can no longer read (what it had read
    /// is handed over), or an fsync failed (nothing is acknowledged any more: a later fsync could succeed without the
    /// data the failed one did not write). Never completes otherwise.
    /// </summary>
    public Task<ServerFailure> Failure { get; }

    /// <summary>True once the server failed (see <see cref="Failure"/>).</summary>
    public bool Failed => Failure.IsCompleted;

    /// <summary>The transport, for the tests that break it.</summary>
    internal ITransport TransportInstance => _transport;

    /// <summary>The endpoints actually bound (port 0 resolved to the port the system picked), in <c>--listen</c> order.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints { get; }

    /// <summary>Where the dashboard, <c>/metrics</c>, <c>/healthz</c> and <c>/status</c> are served, or <see langword="null"/>.</summary>
    public IPEndPoint? HttpEndpoint => _http?.Endpoint;

    /// <summary>The transport in use (<see cref="TransportKind.Auto"/> resolved).</summary>
    public TransportKind Transport { get; }

    /// <summary>The last value that was in the output file when it was opened, or <see langword="null"/>.</summary>
    public long? ResumedAfter => _pipeline.Resume.LastValue;

    /// <summary>Bytes of a partial last line cut off the output file when it was opened.</summary>
    public long TruncatedBytes => _pipeline.Resume.TruncatedBytes;

    /// <summary>A snapshot summary of the run so far (while running) or of the whole run (after <see cref="StopAsync"/>).</summary>
    public ServerSummary Summary => _summary ?? ServerSummary.From(_status.Take());

    /// <summary>Opens the output file and starts listening.</summary>
    /// <param name="options">What to listen on, where to write, how to merge.</param>
    /// <param name="status">Where status lines go (every <see cref="ServerOptions.StatusInterval"/>); none by default.</param>
    /// <param name="configureLogging">Sets up logging; by default warnings and errors go to standard error.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    /// <param name="files">Where the output goes: the file system by default; JetStream frames on an edge.</param>
    /// <exception cref="ArgumentException">An option is out of range (<see cref="ServerOptions.Validate"/>).</exception>
    /// <exception cref="InvalidDataException">The output file exists and is not a timestamp file.</exception>
    /// <exception cref="IOException">The output file cannot be opened, or an endpoint cannot be bound.</exception>
    /// <exception cref="PlatformNotSupportedException">The epoll transport was asked for where it does not exist.</exception>
    public static async Task<HorodateServer> StartAsync(
        ServerOptions options,
        TextWriter? status = null,
        Action<ILoggingBuilder>? configureLogging = null,
        TimeProvider? time = null,
        IFileSystem? files = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var kind = Resolve(options);
        var loggerFactory = configureLogging is null
            ? ConsoleLogging.CreateFactory(LogLevel.Warning)
            : LoggerFactory.Create(logging =>
            {
                logging.AddFilter("Microsoft", LogLevel.Warning);
                configureLogging(logging);
            });
        return await StartAsync(options, kind, status, loggerFactory, time, files).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the server as <see cref="StartAsync(ServerOptions, TextWriter?, Action{ILoggingBuilder}?, TimeProvider?, IFileSystem?)"/>
    /// does, logging from <paramref name="logLevel"/> up on standard error through <see cref="ConsoleLogging.CreateFactory"/>,
    /// which builds no service provider: the programs' start (docs/performance.md, Native).
    /// </summary>
    internal static Task<HorodateServer> StartAsync(
        ServerOptions options, TextWriter? status, LogLevel logLevel, TimeProvider? time = null, IFileSystem? files = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var kind = Resolve(options);
        return StartAsync(options, kind, status, ConsoleLogging.CreateFactory(logLevel), time, files);
    }

    /// <summary>The transport <paramref name="options"/> ask for, <see cref="TransportKind.Auto"/> resolved; throws if this build or platform lacks it.</summary>
    private static TransportKind Resolve(ServerOptions options)
    {
        var tls = options.TlsCertificatePath is not null;
        var kind = options.Transport switch
        {
            TransportKind.Epoll when tls => throw new PlatformNotSupportedException("TLS runs on the Kestrel transport; drop --transport epoll."),
            TransportKind.Auto => LinuxEpoll.IsSupported && !tls ? TransportKind.Epoll : TransportKind.Kestrel,
            TransportKind.Epoll when !LinuxEpoll.IsSupported => throw new PlatformNotSupportedException("The epoll transport needs Linux on x64; use --transport kestrel."),
            var k => k,
        };
        if (!ServerFeatures.Kestrel && (kind == TransportKind.Kestrel || options.Http is not null))
        {
            throw new PlatformNotSupportedException(
                $"{(options.Http is not null ? "--http" : tls ? "TLS" : "the Kestrel transport")} runs on Kestrel: {ServerFeatures.FullEdition}.");
        }

        return kind;
    }

    private static async Task<HorodateServer> StartAsync(
        ServerOptions options, TransportKind kind, TextWriter? status, ILoggerFactory loggerFactory, TimeProvider? time, IFileSystem? files)
    {
        var logger = loggerFactory.CreateLogger("Horodate.Server");
        var counters = new ServerCounters();
        var clock = time ?? TimeProvider.System;

        // Metrics: one meter from an IMeterFactory, as hosted services have, so that dotnet-counters and
        // OpenTelemetry find it by name; the pipeline records its timings on it, the HTTP endpoint renders it.
        var meters = new MeterFactory();
        IngestPipeline? pipeline = null;
        ITransport? transport = null;
        try
        {
            pipeline = IngestPipeline.Open(options, clock, logger, files, new PipelineTimings(meters));
            // Kestrel constructed only where its switch is on, so that a lean build's compiler removes it.
            transport = kind == TransportKind.Epoll || !ServerFeatures.Kestrel
                ? new EpollTransport(options, pipeline, counters, logger)
                : new KestrelTransport(options, pipeline, counters, loggerFactory);
            pipeline.Start();
            await transport.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            if (transport is not null)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }

            pipeline?.Dispose();
            meters.Dispose();
            loggerFactory.Dispose();
            throw;
        }

        var statusSource = new StatusSource(pipeline, counters, clock);
        var metrics = new ServerMetrics(meters, statusSource);
        HttpEndpoint? http = null;
        var reporter = new StatusReporter(statusSource, status ?? TextWriter.Null, options.StatusInterval);
        var server = default(HorodateServer);
        if (ServerFeatures.Kestrel && options.Http is { } httpAt)
        {
            http = new HttpEndpoint(httpAt, new HttpSources
            {
                Exporter = new PrometheusExporter(metrics.Meter, metrics.OutputLag),
                Status = () => server!.Summary,
                Healthy = () => !pipeline.Backpressured,
                History = new StatusHistory(statusSource, clock, TimeSpan.FromSeconds(1)),
                Output = Path.GetFullPath(options.Output),
                Transport = kind,
                Listen = transport.Endpoints,
                StartedAt = statusSource.StartedAt,
            }, loggerFactory);
            try
            {
                await http.StartAsync().ConfigureAwait(false);
            }
            catch
            {
                await transport.DisposeAsync().ConfigureAwait(false);
                pipeline.Dispose();
                meters.Dispose();
                loggerFactory.Dispose();
                throw;
            }
        }

        reporter.Start();
        server = new HorodateServer(transport, kind, pipeline, statusSource, reporter, loggerFactory, logger, meters, http);
        return server;
    }

    private static async Task<ServerFailure> FirstFailureAsync(Task transport, Task<string> sync)
    {
        var first = await Task.WhenAny(transport, sync).ConfigureAwait(false);
        if (first == sync)
        {
            return new ServerFailure(
                $"{await sync.ConfigureAwait(false)}; nothing was written or acknowledged after it. Check the disk, then restart: the clients resend what was not acknowledged.",
                ServerFailure.SyncFailedExitCode);
        }

        var reason = transport.Exception?.InnerException?.Message ?? "the transport can no longer read its connections";
        return new ServerFailure($"{reason}; what was read is written.", ServerFailure.TransportFailedExitCode);
    }

    /// <summary>Graceful stop; returns what the server did. Calling it again returns the same summary.</summary>
    public async Task<ServerSummary> StopAsync()
    {
        if (_summary is not null)
        {
            return _summary;
        }

        ServerLog.Stopping(_logger);
        await _transport.StopAsync().ConfigureAwait(false);    // no new connections; each one hands over what it has, then is not read
        await Task.Run(_pipeline.Stop).ConfigureAwait(false); // write everything, in order, fsync, send the last acknowledgements
        await _transport.CloseAsync().ConfigureAwait(false);  // only now close the connections
        await _reporter.DisposeAsync().ConfigureAwait(false);
        _summary = ServerSummary.From(_status.Take());
        return _summary;
    }

    /// <summary>The status right now, for the live panel.</summary>
    internal ServerStatus Status() => _status.Take();

    /// <summary>The ingest pipeline, for sources other than the transport's (a root's JetStream frames).</summary>
    internal IngestPipeline Pipeline => _pipeline;

    /// <summary>The server's logger.</summary>
    internal ILogger Logger => _logger;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_http is not null)
        {
            await _http.DisposeAsync().ConfigureAwait(false);
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
        _pipeline.Dispose();
        _meters.Dispose();
        _loggerFactory.Dispose();
    }
}
