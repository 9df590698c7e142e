using System.Net;
using Horodate.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Http;

/// <summary>
/// The operator's HTTP endpoint (<c>--http</c>, off by default): <c>/metrics</c> in the Prometheus text format,
/// <c>/healthz</c> (200, or 503 while writes fail), <c>/status</c> (the running summary as JSON), and the live
/// dashboard at <c>/</c> with the <c>/history</c> and <c>/tail</c> it draws from. Kestrel, on its own port, apart
/// from the timestamp connections. Read-only: nothing here changes the server. No authentication: bind it to
/// loopback or a management network.
/// </summary>
internal sealed partial class HttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions _listen;
    private readonly HttpSources _sources;

    public HttpEndpoint(IPEndPoint endpoint, HttpSources sources, ILoggerFactory loggerFactory)
    {
        var builder = EmbeddedWebHost.CreateBuilder(loggerFactory);
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint, l => listen = l);
        });
        _app = builder.Build();
        _listen = listen!;
        _sources = sources;

        _app.MapGet("/metrics", () => Results.Text(sources.Exporter.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        _app.MapGet("/healthz", () => sources.Healthy() ? Results.Text("ok\n") : Results.Text("writes failing\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        _app.MapGet("/status", () => Results.Json(sources.Status(), ServerJsonContext.Default.ServerSummary));
        MapDashboard(_app, sources);
    }

    /// <summary>The endpoint bound (port 0 resolved).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listen.EndPoint;

    /// <summary>Binds and serves, then starts sampling the history.</summary>
    /// <exception cref="IOException">The endpoint cannot be bound.</exception>
    public async Task StartAsync()
    {
        await _app.StartAsync().ConfigureAwait(false);
        _sources.History.Start();
    }

    /// <summary>Stops serving, then sampling: the endpoint owns the history and the exporter.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _sources.History.DisposeAsync().ConfigureAwait(false);
        _sources.Exporter.Dispose();
    }
}
