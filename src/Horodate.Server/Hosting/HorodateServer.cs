using System.Diagnostics;
using System.Net;
using Horodate.Core.Diagnostics;
using Horodate.Logging;
using Horodate.Server.Connections;
using Horodate.Server.Diagnostics;
using Horodate.Server.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Hosting;

/// <summary>
/// A running Horodate server: Kestrel accepts the connections, <see cref="TimestampConnectionHandler"/>
/// decodes them, the ingest pipeline orders the values and appends them to the output file.
/// </summary>
/// <remarks>
/// <see cref="StopAsync"/> is the graceful stop: no new connections, every connection hands over what it
/// already read, every received value is written in order, the files are fsynced. Embeddable: the server
/// handles no signals itself.
/// </remarks>
public sealed class HorodateServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IngestPipeline _pipeline;
    private readonly ServerCounters _counters;
    private readonly StatusReporter _status;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private ServerSummary? _summary;

    private HorodateServer(
        WebApplication app, IngestPipeline pipeline, ServerCounters counters, StatusReporter status,
        IReadOnlyList<IPEndPoint> endpoints, ILoggerFactory loggerFactory, ILogger logger)
    {
        _loggerFactory = loggerFactory;
        _app = app;
        _pipeline = pipeline;
        _counters = counters;
        _status = status;
        Endpoints = endpoints;
        _logger = logger;
    }

    /// <summary>The endpoints actually bound (port 0 resolved to the port the system picked), in <c>--listen</c> order.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints { get; }

    /// <summary>The last value that was in the output file when it was opened, or <see langword="null"/>.</summary>
    public long? ResumedAfter => _pipeline.Resume.LastValue;

    /// <summary>Bytes of a partial last line cut off the output file when it was opened.</summary>
    public long TruncatedBytes => _pipeline.Resume.TruncatedBytes;

    /// <summary>
    /// Opens the output file and starts listening.
    /// </summary>
    /// <param name="options">What to listen on, where to write, how to merge.</param>
    /// <param name="status">Where status lines go (every <see cref="ServerOptions.StatusInterval"/>); <see cref="TextWriter.Null"/> for none.</param>
    /// <param name="configureLogging">Sets up logging; by default warnings and errors go to standard error.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    /// <exception cref="InvalidDataException">The output file exists and is not a timestamp file.</exception>
    /// <exception cref="IOException">The output file cannot be opened, or an endpoint cannot be bound.</exception>
    public static async Task<HorodateServer> StartAsync(
        ServerOptions options,
        TextWriter? status = null,
        Action<ILoggingBuilder>? configureLogging = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        time ??= TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "horodate-server",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();

        // The pipeline (and so the file) must exist before Kestrel is configured, which resolves the handler:
        // logging is built first and shared with the host.
        var loggerFactory = LoggerFactory.Create(logging =>
        {
            logging.AddFilter("Microsoft", LogLevel.Warning);
            (configureLogging ?? (l => ConsoleLogging.Configure(l, LogLevel.Warning)))(logging);
        });
        var logger = loggerFactory.CreateLogger("Horodate.Server");
        IngestPipeline pipeline;
        try
        {
            pipeline = IngestPipeline.Open(options, time, logger);
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }

        var counters = new ServerCounters();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, NullHostLifetime>();
        builder.Services.AddSingleton(counters);
        builder.Services.AddSingleton(pipeline);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        var listeners = new List<ListenOptions>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var endpoint in options.Listen)
            {
                kestrel.Listen(endpoint, listen =>
                {
                    listen.UseConnectionHandler<TimestampConnectionHandler>();
                    listeners.Add(listen);
                });
            }
        });

        var app = builder.Build();
        try
        {
            pipeline.Start();
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            pipeline.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            loggerFactory.Dispose();
            throw;
        }

        var endpoints = listeners.Select(l => (IPEndPoint)l.EndPoint).ToArray();
        var reporter = new StatusReporter(pipeline, counters, status ?? TextWriter.Null, options.StatusInterval);
        reporter.Start();
        return new HorodateServer(app, pipeline, counters, reporter, endpoints, loggerFactory, logger);
    }

    /// <summary>Graceful stop; returns what the server did. Calling it again returns the same summary.</summary>
    public async Task<ServerSummary> StopAsync()
    {
        if (_summary is not null)
        {
            return _summary;
        }

        ServerLog.Stopping(_logger);
        await _app.StopAsync().ConfigureAwait(false);      // no new connections; each one hands over what it read
        await Task.Run(_pipeline.Stop).ConfigureAwait(false); // write everything, in order, fsync
        await _status.DisposeAsync().ConfigureAwait(false);
        _summary = Summarize(_pipeline.Snapshot(takeLag: false));
        return _summary;
    }

    /// <summary>A snapshot summary of the run so far (while running) or of the whole run (after <see cref="StopAsync"/>).</summary>
    public ServerSummary Summary => _summary ?? Summarize(_pipeline.Snapshot(takeLag: false));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _pipeline.Dispose();
        _loggerFactory.Dispose();
    }

    private ServerSummary Summarize(PipelineStatus s) => new()
    {
        Uptime = Stopwatch.GetElapsedTime(_started),
        ConnectionsAccepted = _counters.Accepted,
        ConnectionsClosedForGarbage = _counters.ClosedForGarbage,
        Received = s.Counters.Received,
        Written = s.WrittenValues,
        Duplicates = s.Counters.Duplicates,
        Late = s.Counters.Late,
        RejectedLines = _counters.RejectedLines,
        RejectedFuture = s.Counters.RejectedFuture,
        DroppedAtStop = s.DroppedAtStop,
        Unwritten = s.PendingBytes,
        OutputBytes = s.OutputBytes,
        LagP50Ms = s.RunLag.Percentile(50),
        LagP99Ms = s.RunLag.Percentile(99),
        LagMaxMs = s.RunLag.Max,
        CpuSeconds = ProcessStats.CpuSeconds(),
        PeakRssBytes = ProcessStats.PeakRssBytes(),
    };
}
