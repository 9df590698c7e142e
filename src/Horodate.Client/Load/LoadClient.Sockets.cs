using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Horodate.Client.Logging;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

/// <summary>
/// One connection attempt: a socket, its connect (on Linux, plain: native and non-blocking, completed in the owning
/// scheduler thread's epoll set; otherwise the runtime's), and TLS. A failure is counted and told (rate-limited).
/// </summary>
public sealed partial class LoadClient
{
    private const int IpProtocolIp = 0;          // SOL_IP
    private const int IpBindAddressNoPort = 24;  // IP_BIND_ADDRESS_NO_PORT, Linux 4.2+

    private async Task<Socket?> TryConnectAsync(ClientConnection connection, IPEndPoint endpoint, CancellationToken cancel)
    {
        await _connectGate.WaitAsync(cancel).ConfigureAwait(false);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var owned = true; // false once a connect abandoned at a stop left the socket to its scheduler thread to close
        try
        {
            if (_options.SourceAddresses > 0)
            {
                // IP_BIND_ADDRESS_NO_PORT: bind the address now, let connect() pick the port per destination.
                socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + (connection.Index % _options.SourceAddresses))]), 0));
            }

            var native = !_options.Tls && NativeConnect.IsSupported;
            if (native)
            {
                if (!NativeConnect.TrySetNonBlocking(socket))
                {
                    throw new SocketException((int)SocketError.SocketError);
                }

                owned = await ConnectNativeAsync(connection, socket, endpoint, cancel).ConfigureAwait(false);
                if (!owned)
                {
                    cancel.ThrowIfCancellationRequested(); // abandoned: only a stop does that
                }
            }
            else
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(_options.ConnectTimeout);
                await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            }

            // A connection waiting for the answer to its hello sends nothing: keepalive notices a server host that vanished.
            TcpKeepAlive.Enable(socket);

            // Sends are synchronous calls from the scheduler threads: they must never block (a native socket is
            // non-blocking already). TLS cannot split a record, so there a send blocks, for one second at most.
            if (_options.Tls)
            {
                socket.SendTimeout = 1_000;
            }
            else if (!native)
            {
                socket.Blocking = false;
            }

            return socket;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            if (owned)
            {
                socket.Dispose();
            }

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

    /// <summary>
    /// Connects <paramref name="socket"/> (non-blocking, plain, Linux) without the runtime's asynchronous machinery:
    /// the owning scheduler thread sees the connect end in its epoll set, or times it out after
    /// <see cref="ClientOptions.ConnectTimeout"/>. True once connected; a <see cref="SocketException"/> when it failed;
    /// false when the client stopped first and the socket was left to the thread to close.
    /// </summary>
    private async Task<bool> ConnectNativeAsync(ClientConnection connection, Socket socket, IPEndPoint endpoint, CancellationToken cancel)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.ConnectTimeout.TotalSeconds * Stopwatch.Frequency);
        var outcome = NativeConnect.Start(socket, endpoint);
        if (outcome == SocketError.InProgress)
        {
            var attempt = new PendingConnect(connection, socket, deadline);
            if (!OwnerOf(connection).TryWatchConnect(attempt))
            {
                cancel.ThrowIfCancellationRequested();
                throw new SocketException((int)SocketError.OperationAborted); // the thread has ended: the client is stopping
            }

            try
            {
                outcome = await attempt.Outcome.WaitAsync(cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (attempt.TryAbandon())
            {
                return false; // the thread closes the socket (settled as the stop came instead: the caller closes it)
            }
        }

        return outcome == SocketError.Success ? true : throw new SocketException((int)outcome);
    }

    private async Task<Stream?> TryTlsAsync(Socket socket, CancellationToken cancel)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(_options.ConnectTimeout);
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
}
