using System.Net;
using Horodate.Core.Protocol;
using Horodate.Server.Status;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Horodate.Server.Sessions;
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
    private readonly StopBarrier _stop = new();
    private Task? _appStopped;

    public KestrelTransport(ServerOptions options, IngestPipeline pipeline, ServerCounters counters, ILoggerFactory loggerFactory)
    {
        var builder = EmbeddedWebHost.CreateBuilder(loggerFactory);
        var sessions = new ProtocolSessions(options, pipeline, counters, loggerFactory.CreateLogger("Horodate.Server"));
        builder.Services.AddSingleton(sessions);
        builder.Services.AddSingleton(_stop);

        // The stop is bounded as on the epoll transport, by the sessions (StopLimits) and the pipeline's final
        // flush; Kestrel must not abort the connections before the final acknowledgements are written.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Timeout.InfiniteTimeSpan);

        var certificate = options.TlsCertificatePath is { } certPath ? TlsCertificate.Load(certPath, options.TlsKeyPath) : null;
        var listeners = new List<ListenOptions>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var endpoint in options.Listen)
            {
                kestrel.Listen(endpoint, listen =>
                {
                    listen.Use(next => context => AcceptAsync(context, next, sessions));
                    if (certificate is not null)
                    {
                        listen.UseHttps(certificate); // TLS on a raw TCP endpoint: no HTTP involved
                    }

                    listen.UseConnectionHandler<TimestampConnectionHandler>();
                    listeners.Add(listen);
                });
            }
        });
        _app = builder.Build();
        _listeners = listeners;
    }

    public IReadOnlyList<IPEndPoint> Endpoints => _listeners.Select(l => (IPEndPoint)l.EndPoint).ToArray();

    /// <inheritdoc />
    /// <remarks>Kestrel reports a failed socket on its connection; nothing fails the whole transport.</remarks>
    public Task Failed { get; } = new TaskCompletionSource().Task;

    /// <summary>
    /// Runs first on every accepted socket, before TLS: admission (refusing is cheaper before a handshake),
    /// keepalive, and the protocol session with its engine source, so that the connection holds the watermark
    /// from its accept (a TLS handshake can take longer than the client waits before sending).
    /// </summary>
    private static async Task AcceptAsync(ConnectionContext context, ConnectionDelegate next, ProtocolSessions sessions)
    {
        if (!sessions.Admission.TryAdmit(context.RemoteEndPoint))
        {
            context.Abort();
            return;
        }

        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            TcpKeepAlive.Enable(socket);
        }

        var session = sessions.Open(context.RemoteEndPoint?.ToString(), _ => context.ConnectionId);
        context.Features.Set(session);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            session.Release(); // closed by the handler, unless the TLS handshake failed
        }
    }

    public Task StartAsync() => _app.StartAsync();

    public Task StopAsync()
    {
        // Kestrel stops listening and asks each connection to close: each handler drains, hands over, and then
        // waits at the barrier, its connection open, until CloseAsync.
        _appStopped ??= _app.StopAsync();
        return Task.WhenAny(_stop.StopReadingAsync(), _appStopped);
    }

    public async Task CloseAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.AllowClose();
        await _appStopped!.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.AllowClose();
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
