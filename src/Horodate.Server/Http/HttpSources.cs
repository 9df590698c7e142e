using System.Net;
using Horodate.Server.Hosting;
using Horodate.Server.Status;

namespace Horodate.Server.Http;

/// <summary>What the <see cref="HttpEndpoint"/> reads from the running server; it never writes to it.</summary>
internal sealed record HttpSources
{
    public required PrometheusExporter Exporter { get; init; }

    /// <summary>The running summary, for <c>/status</c>.</summary>
    public required Func<ServerSummary> Status { get; init; }

    /// <summary>False while writes fail: <c>/healthz</c> answers 503.</summary>
    public required Func<bool> Healthy { get; init; }

    /// <summary>The samples the dashboard charts; the endpoint starts and disposes it.</summary>
    public required StatusHistory History { get; init; }

    /// <summary>The ordered output file, for <c>/tail</c>.</summary>
    public required string Output { get; init; }

    public required TransportKind Transport { get; init; }

    public required IReadOnlyList<IPEndPoint> Listen { get; init; }

    /// <summary>When the server started, in Unix ms.</summary>
    public required long StartedAt { get; init; }
}
