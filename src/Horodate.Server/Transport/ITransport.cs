using System.Net;
using Horodate.Server.Pipeline;

namespace Horodate.Server.Transport;

/// <summary>
/// Accepts plain-protocol connections and hands every decoded value to the ingest pipeline. A transport
/// owns its sockets; the pipeline owns the ordering and the file.
/// </summary>
internal interface ITransport : IAcknowledger, IAsyncDisposable
{
    /// <summary>The endpoints bound (port 0 resolved), in the order they were asked for.</summary>
    IReadOnlyList<IPEndPoint> Endpoints { get; }

    /// <summary>Binds and starts accepting.</summary>
    /// <exception cref="IOException">An endpoint cannot be bound.</exception>
    Task StartAsync();

    /// <summary>
    /// The transport's part of a graceful stop: no new connections, read what each connection already has
    /// in flight, hand it over, close. When it returns no value will be handed over any more.
    /// </summary>
    Task StopAsync();
}
