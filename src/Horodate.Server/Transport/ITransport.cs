using System.Net;

namespace Horodate.Server.Transport;

/// <summary>
/// Accepts plain-protocol connections and hands every decoded value to the ingest pipeline. A transport
/// owns its sockets; the pipeline owns the ordering and the file.
/// </summary>
internal interface ITransport : IAsyncDisposable
{
    /// <summary>The endpoints bound (port 0 resolved), in the order they were asked for.</summary>
    IReadOnlyList<IPEndPoint> Endpoints { get; }

    /// <summary>
    /// Faults when the transport can no longer read its connections (it has logged a critical error and handed
    /// over what it had read): the server must stop. Never completes otherwise.
    /// </summary>
    Task Failed { get; }

    /// <summary>Binds and starts accepting.</summary>
    /// <exception cref="IOException">An endpoint cannot be bound.</exception>
    Task StartAsync();

    /// <summary>
    /// The transport's first part of a graceful stop: no new connections, read what each connection already
    /// has in flight, hand it over, then read no more. The connections stay open, so that the pipeline's final
    /// flush and sync can still acknowledge their last values. When it returns no value will be handed over
    /// any more.
    /// </summary>
    Task StopAsync();

    /// <summary>The last part of a graceful stop, after the pipeline's final acknowledgements: closes every connection.</summary>
    Task CloseAsync();
}
