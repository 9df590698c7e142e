using System.Net;
using Horodate.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Http;

/// <summary>
/// The operator's HTTP endpoint (<c>--http</c>, off by default): <c>/metrics</c> in the Prometheus text format,
/// <c>/healthz</c> (200, or 503 while writes fail), <c>/status</c> (the running summary as JSON).
/// Kestrel, on its own port, apart from the timestamp connections.
/// </summary>
internal sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions _listen;

    public HttpEndpoint(IPEndPoint endpoint, PrometheusExporter exporter, Func<ServerSummary> status, Func<bool> healthy, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "horodate-server",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, NullHostLifetime>();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint, l => listen = l);
        });
        _app = builder.Build();
        _listen = listen!;

        _app.MapGet("/metrics", () => Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8"));
        _app.MapGet("/healthz", () => healthy() ? Results.Text("ok\n") : Results.Text("writes failing\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        _app.MapGet("/status", () => Results.Json(status(), ServerJsonContext.Default.ServerSummary));
    }

    /// <summary>The endpoint bound (port 0 resolved).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listen.EndPoint;

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
