using Horodate.Core.Diagnostics;
using Horodate.Server.Logging;
using Horodate.Server.Status;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Horodate.Server.Transport;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Sessions;

/// <summary>
/// What the protocol sessions of one transport share: the pipeline they hand values to, the connection
/// counters, admission, the log and its rate limit for rejected lines. A transport opens one
/// <see cref="ProtocolSession"/> per accepted connection here.
/// </summary>
internal sealed class ProtocolSessions(ServerOptions options, IngestPipeline pipeline, ServerCounters counters, ILogger logger)
{
    /// <summary>Whether a new connection may stay (its address, the connection limit).</summary>
    public Admission Admission { get; } = new(options, counters, logger);

    /// <summary>How long a connection may stay silent; zero for ever.</summary>
    public TimeSpan ReadTimeout => options.ReadTimeout;

    internal IngestPipeline Pipeline => pipeline;

    internal ServerCounters Counters => counters;

    internal ILogger Logger => logger;

    internal RateLimiter RejectLog { get; } = new(TimeSpan.FromSeconds(1));

    /// <summary>
    /// A connection was accepted and admitted: opens its engine source, which holds the watermark from now on.
    /// </summary>
    /// <param name="remote">The peer's address, for the logs.</param>
    /// <param name="name">The connection's name in the logs, given its engine source.</param>
    public ProtocolSession Open(string? remote, Func<int, string> name)
    {
        var source = pipeline.OpenSource();
        return new ProtocolSession(this, source, name(source), remote);
    }
}
