using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Horodate.Client.Logging;
using Horodate.Core.Diagnostics;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    private const int IpProtocolIp = 0;          // SOL_IP
    private const int IpBindAddressNoPort = 24;  // IP_BIND_ADDRESS_NO_PORT, Linux 4.2+

    /// <summary>How long one connection attempt may take before it counts as failed.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly RateLimiter _connectFailLog = new(TimeSpan.FromSeconds(1));
    private readonly RateLimiter _lostLog = new(TimeSpan.FromSeconds(1));
    private int _up;
    private int _plainServerLogged;

    /// <summary>Names this run's connections in their hellos: the server recognises resends across reconnects.</summary>
    private readonly string _runId = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()));
    private long _reconnects;
    private long _connectFailures;

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

        if (!_connecting.IsCancellationRequested)
        {
            _ = ConnectAsync(connection, reconnect: true);
        }
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
                var socket = await TryConnectAsync(connection.Index, endpoint, cancel).ConfigureAwait(false);
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
                var generation = connection.BringUp(socket, tls, greeting);
                Interlocked.Increment(ref _up);
                if (reconnect)
                {
                    Interlocked.Increment(ref _reconnects);
                }

                _ = WatchAsync(connection, server, socket, tls, generation, greeting);
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // the client is stopping
        }
    }

    private async Task<Socket?> TryConnectAsync(int index, IPEndPoint endpoint, CancellationToken cancel)
    {
        await _connectGate.WaitAsync(cancel).ConfigureAwait(false);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (_options.SourceAddresses > 0)
            {
                // IP_BIND_ADDRESS_NO_PORT: bind the address now, let connect() pick the port per destination.
                socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + (index % _options.SourceAddresses))]), 0));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);

            // A connection waiting for the answer to its hello sends nothing: keepalive notices a server host that vanished.
            TcpKeepAlive.Enable(socket);

            // Sends are synchronous calls from the scheduler threads: they must never block. TLS cannot split a
            // record, so there a send blocks, for one second at most.
            if (_options.Tls)
            {
                socket.SendTimeout = 1_000;
            }
            else
            {
                socket.Blocking = false;
            }

            return socket;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            cancel.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _connectFailures);
            if (_connectFailLog.TryAcquire(out var suppressed))
            {
                var reason = ex is SocketException se ? SendScheduler.Describe(se.SocketErrorCode) : "timed out";
                ClientLog.ConnectFailed(_logger, _options.Server, reason, suppressed);
            }

            return null;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>The first line in acknowledged mode; its id stays the same across this connection's reconnects.</summary>
    private bool SendHello(Socket socket, Stream? tls, ClientConnection connection)
    {
        var hello = Handshake.HelloLine($"{_runId}.{connection.Index}");
        if (tls is null)
        {
            return socket.Send(hello, SocketFlags.None, out var error) == hello.Length && error == SocketError.Success;
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

    private async Task<Stream?> TryTlsAsync(Socket socket, CancellationToken cancel)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(ConnectTimeout);
#pragma warning disable CA5359 // --tls-insecure asks, explicitly, to accept any certificate (self-signed test servers)
            var validation = _options.TlsInsecure ? (RemoteCertificateValidationCallback)((_, _, _, _) => true) : null;
#pragma warning restore CA5359
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = _options.Host, RemoteCertificateValidationCallback = validation },
                timeout.Token).ConfigureAwait(false);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            cancel.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _connectFailures);
            if (_connectFailLog.TryAcquire(out var suppressed))
            {
                ClientLog.ConnectFailed(_logger, _options.Server, $"TLS: {ex.Message}", suppressed);
            }

            return null;
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
