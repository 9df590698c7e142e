using System.Net;
using Horodate.Server.Diagnostics;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Transport.Kestrel;

/// <summary>
/// The portable transport: Kestrel accepts the connections and runs a <see cref="TimestampConnectionHandler"/>
/// on each. Its graceful stop asks every connection to close and waits for the handlers to finish.
/// </summary>
internal sealed class KestrelTransport : ITransport
{
    private readonly WebApplication _app;
    private readonly List<ListenOptions> _listeners;

    public KestrelTransport(ServerOptions options, IngestPipeline pipeline, ServerCounters counters, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "horodate-server",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, NullHostLifetime>();
        builder.Services.AddSingleton(counters);
        builder.Services.AddSingleton(pipeline);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new Admission(options, counters, loggerFactory.CreateLogger("Horodate.Server")));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);

        var listeners = new List<ListenOptions>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var endpoint in options.Listen)
            {
                kestrel.Listen(endpoint, listen =>
                {
                    listen.Use(next => context =>
                    {
                        // TCP keepalive on every accepted socket, as the epoll transport does.
                        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
                        {
                            Admission.KeepAlive(socket);
                        }

                        return next(context);
                    });
                    listen.UseConnectionHandler<TimestampConnectionHandler>();
                    listeners.Add(listen);
                });
            }
        });
        _app = builder.Build();
        _listeners = listeners;
        pipeline.Acknowledger = this;
    }

    public void Acknowledge(IReadOnlyList<Ack> acks)
    {
        foreach (var ack in acks)
        {
            ((AckWriter)ack.Connection).Offer(ack.Value);
        }
    }

    public IReadOnlyList<IPEndPoint> Endpoints => _listeners.Select(l => (IPEndPoint)l.EndPoint).ToArray();

    public Task StartAsync() => _app.StartAsync();

    public Task StopAsync() => _app.StopAsync();

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
