using System.Net.Sockets;

namespace Horodate.Client.Load;

/// <summary>
/// Where a <see cref="ClientConnection"/>'s bytes go when it has no socket: the deterministic simulator's simulated
/// socket (tests/Horodate.Simulation), which drives the production connection (its ring of unacknowledged values,
/// resends, trims, partial lines and hello) under schedules drawn from a seed. The client itself never uses one:
/// its connections send on their socket, and on Linux the descriptor is tried first, so the per-value send pays
/// nothing for this seam (<see cref="ClientConnection.BringUpOn"/>).
/// </summary>
internal interface IConnectionSink
{
    /// <summary>
    /// As a non-blocking <c>send(2)</c>: takes what fits of <paramref name="data"/> now and returns how many bytes
    /// that was (possibly part of a line); <see cref="SocketError.WouldBlock"/> when nothing fits; any other error
    /// means the connection broke.
    /// </summary>
    int Send(ReadOnlySpan<byte> data, out SocketError error);
}
