using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Horodate.Client.Logging;
using Horodate.Core.Diagnostics;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    private readonly RateLimiter _connectFailLog = new(TimeSpan.FromSeconds(1));
    private readonly RateLimiter _lostLog = new(TimeSpan.FromSeconds(1));
    private int _up;
    private int _plainServerLogged;

    /// <summary>Names this run's connections in their hellos: the server recognises resends across reconnects.</summary>
    private readonly string _runId = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()));
    private long _reconnects;
    private long _connectFailures;

    // The reconnects under way, plus one for the run until its stop begins (EndConnectorsAsync): the ramp's
    // connects are awaited as the ramp.
    private readonly Lock _connectorsGate = new();
    private int _connectors = 1;
    private bool _connectorsEnding;
    private readonly TaskCompletionSource _connectorsEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task<IPEndPoint[]> ResolveAsync(ClientOptions options, CancellationToken cancel)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var (host, port) in options.ExtraServers.Prepend((options.Host, options.Port)))
        {
            endpoints.Add(await ResolveAsync(host, port, cancel).ConfigureAwait(false));
        }

        return [.. endpoints];
    }

    private static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancel)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host, cancel).ConfigureAwait(false);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(chosen, port);
    }

    /// <summary>Brings every connection up, <see cref="ClientOptions.ConnectConcurrency"/> attempts at a time.</summary>
    private async Task RampAsync()
    {
        await Task.WhenAll(_connections.Select(c => ConnectAsync(c, reconnect: false))).ConfigureAwait(false);
        if (!_connecting.IsCancellationRequested)
        {
            ClientLog.AllUp(_logger, _connections.Length, _options.Server, Stopwatch.GetElapsedTime(_started).TotalSeconds);
        }
    }

    /// <summary>Called on the owning scheduler thread when a send finds the connection broken.</summary>
    private void OnConnectionDown(ClientConnection connection, string reason)
    {
        connection.TakeDown();
        Interlocked.Decrement(ref _up);
        if (_lostLog.TryAcquire(out var suppressed))
        {
            ClientLog.ConnectionLost(_logger, _options.Server, reason, suppressed);
        }

        StartReconnect(connection);
    }

    /// <summary>
    /// Starts <paramref name="connection"/>'s reconnect, unless the stop has begun: the stop then owns every
    /// connection as it is (<see cref="EndConnectorsAsync"/>).
    /// </summary>
    private void StartReconnect(ClientConnection connection)
    {
        lock (_connectorsGate)
        {
            if (_connectorsEnding)
            {
                return;
            }

            _connectors++;
        }

        _ = ReconnectAsync(connection);
    }

    private async Task ReconnectAsync(ClientConnection connection)
    {
        try
        {
            await ConnectAsync(connection, reconnect: true).ConfigureAwait(false);
        }
        finally
        {
            ConnectorEnded();
        }
    }

    private void ConnectorEnded()
    {
        lock (_connectorsGate)
        {
            if (--_connectors == 0)
            {
                _connectorsEnded.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The stop's first step: no reconnect starts from now on, those under way are cancelled, and this returns once
    /// each has ended, its connection brought up or left down. From then on only the stop changes a connection's
    /// socket: a connect that completed as the stop began is up before the schedulers send what each connection owes
    /// and half-close it, and a socket can no longer come up after <see cref="CloseAll"/> (never closed: a leak, and a
    /// connection holding the server's write point until its idle timeout) nor be handed to a scheduler thread that
    /// has ended (a native connect handed over as the thread closed its epoll set was never settled).
    /// </summary>
    private async Task EndConnectorsAsync()
    {
        lock (_connectorsGate)
        {
            _connectorsEnding = true;
        }

        await _connecting.CancelAsync().ConfigureAwait(false);
        ConnectorEnded(); // the run's own count
        await _connectorsEnded.Task.ConfigureAwait(false);
    }

    /// <summary>Connects until it works or the client stops, backing off exponentially between failures.</summary>
    private async Task ConnectAsync(ClientConnection connection, bool reconnect)
    {
        var cancel = _connecting.Token;
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                if (connection.Failures > 0 || reconnect)
                {
                    await Task.Delay(Backoff(connection.Failures), cancel).ConfigureAwait(false);
                }

                // Connection i goes to server i mod k; after a failure, to the next one.
                var server = (connection.Index + connection.Failures) % _endpoints.Length;
                var endpoint = _endpoints[server];
                var socket = await TryConnectAsync(connection, endpoint, cancel).ConfigureAwait(false);
                if (socket is null)
                {
                    connection.NoteConnectFailure();
                    continue;
                }

                var tls = _options.Tls ? await TryTlsAsync(socket, cancel).ConfigureAwait(false) : null;
                if ((_options.Tls && tls is null) || (_options.Acknowledged && !SendHello(socket, tls, connection)))
                {
                    tls?.Dispose();
                    socket.Dispose();
                    connection.NoteConnectFailure();
                    continue;
                }

                var greeting = _options.Acknowledged && connection.Mode != ServerMode.Plain;
                var helloDeadline = HelloDeadline(connection, greeting);
                connection.Server = server;
                var generation = connection.BringUp(socket, tls, greeting);
                Interlocked.Increment(ref _up);
                if (reconnect)
                {
                    Interlocked.Increment(ref _reconnects);
                }

                // A plain socket on Linux is read by its scheduler thread from the start, its hello too: no reader
                // of its own. Elsewhere (TLS, other systems, or the thread ended at a stop) its watcher reads it.
                if (tls is null && OwnerOf(connection).TryHandOver(connection, generation, [], helloDeadline))
                {
                    return;
                }

                _ = WatchAsync(connection, socket, tls, generation, helloDeadline);
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // the client is stopping
        }
    }

    /// <summary>The first line in acknowledged mode; its id stays the same across this connection's reconnects.</summary>
    private bool SendHello(Socket socket, Stream? tls, ClientConnection connection)
    {
        var hello = Handshake.HelloLine($"{_runId}.{connection.Index}");
        if (tls is null)
        {
            // On Linux straight to the descriptor: the runtime's Socket.Send would give a socket it takes for a
            // blocking one (NativeConnect.TrySetNonBlocking) its asynchronous context, to emulate the blocking.
            var sent = NativeSend.IsSupported
                ? NativeSend.Send((int)socket.SafeHandle.DangerousGetHandle(), hello, out var error)
                : socket.Send(hello, SocketFlags.None, out error);
            return sent == hello.Length && error == SocketError.Success;
        }

        try
        {
            tls.Write(hello);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private TimeSpan Backoff(int failures)
    {
        // 100 ms, 200 ms, 400 ms ... up to 5 s, with ±20% jitter so that n connections do not come back in step.
        var ms = _options.ReconnectMin.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16));
        ms = Math.Min(ms, _options.ReconnectMax.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }
}
