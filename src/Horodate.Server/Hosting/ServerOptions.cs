using System.Net;
using Horodate.Core.Ordering;

namespace Horodate.Server.Hosting;

/// <summary>Everything <see cref="HorodateServer"/> needs to run; the command line builds one.</summary>
public sealed record ServerOptions
{
    /// <summary>The default port: <c>horodate-client</c> connects there by default too.</summary>
    public const int DefaultPort = 7890;

    /// <summary>The defaults: what a command line that sets nothing gets, and what its help text shows.</summary>
    public static ServerOptions Default { get; } = new();

    /// <summary>Where to accept connections (default 127.0.0.1:7890: loopback only). Port 0 picks a free port.</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [new IPEndPoint(IPAddress.Loopback, DefaultPort)];

    /// <summary>How connections are read (default <see cref="TransportKind.Auto"/>: epoll on Linux x64, Kestrel elsewhere).</summary>
    public TransportKind Transport { get; init; } = TransportKind.Auto;

    /// <summary>The ordered output file (default <c>timestamps.txt</c>); late values go to <c>&lt;Output&gt;.late</c>.</summary>
    public string Output { get; init; } = "timestamps.txt";

    /// <summary>How the values are merged: dedupe, idle timeout, max future, max delay.</summary>
    public OrderingOptions Ordering { get; init; } = new();

    /// <summary>How often ready values are written to the file (default 10 ms). Each write is whole lines.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// While acknowledged clients are connected, how often written values are made durable (fsync) and
    /// acknowledged (default 1 s): one fsync and one acknowledgement per client per period, never one per
    /// value. Without acknowledged clients the file is fsynced at the graceful stop only.
    /// </summary>
    /// <remarks>
    /// Why 1 s (issue 12 §1): an acknowledgement only frees the client's buffer (60 s deep) and tells it what is
    /// durable; at 250 ms, n = 5,000 connections cost 20,000 ACK sends and as many client reads a second on top of
    /// 100,000 values, about a quarter of the default mode's cost. At 1 s that is 5,000, and a client holds 20 values
    /// unacknowledged. Promptness where it matters is kept: a client that has finished (half-closed) is synced and
    /// acknowledged at once, and the output itself is written every flush whatever the sync interval.
    /// </remarks>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often, at most, a sending acknowledged connection is told what became durable (<c>--ack-interval</c>,
    /// default 5 s; 0 for every sync). A client that has finished gets its final acknowledgement at once.
    /// </summary>
    /// <remarks>
    /// Why 5 s (issue 12 §1): an acknowledgement frees the client's buffer (60 s deep) and tells it what is durable;
    /// each costs a send on the server and an async read on the client. At n = 2,000 and one per sync (1 s) that was
    /// about 1.5 µs per value on each side, the whole of the acknowledged mode's extra cost over the plain one; at 5 s
    /// it is a fifth. The fsync cadence, and so durability, is unchanged.
    /// </remarks>
    public TimeSpan AckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a status line is printed (default 5 s); <see cref="TimeSpan.Zero"/> for none.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection that sends nothing for this long is closed (default 30 s; <see cref="TimeSpan.Zero"/>
    /// for never): a peer that vanished without a FIN, or one that sent half a line and went silent, does
    /// not hold a descriptor, a slot and the watermark forever. Clients send every 50 ms.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections beyond this many are refused and counted (default 20,000: the descriptor limit of
    /// this kind of machine, less room for files and listeners).
    /// </summary>
    public int MaxConnections { get; init; } = 20_000;

    /// <summary>Networks allowed to connect; empty (the default) allows every peer that can reach the listener.</summary>
    public IReadOnlyList<IPNetwork> Allow { get; init; } = [];

    /// <summary>
    /// A certificate to serve TLS with (PEM, with its key in <see cref="TlsKeyPath"/> or in the same file; or
    /// PKCS#12 without a password). TLS runs on the Kestrel transport. Default: none, plain TCP.
    /// </summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>The PEM private key of <see cref="TlsCertificatePath"/>, when it is in a file of its own.</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>
    /// Where to serve the dashboard (<c>/</c>), <c>/metrics</c>, <c>/healthz</c>, <c>/status</c>, <c>/history</c> and
    /// <c>/tail</c> over HTTP; <see langword="null"/> (the default) for nowhere. Loopback is advised: the endpoint
    /// has no authentication, and <c>/tail</c> shows the file's last values.
    /// </summary>
    public IPEndPoint? Http { get; init; }

    /// <summary>The path of the side file for late values.</summary>
    public string LateOutput => Output + ".late";

    /// <summary>
    /// Checks the options (and the <see cref="Ordering"/> ones) against the ranges the command line allows, and
    /// throws <see cref="ArgumentException"/> naming the first bad one.
    /// </summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Listen);
        ArgumentOutOfRangeException.ThrowIfZero(Listen.Count, nameof(Listen));
        ArgumentException.ThrowIfNullOrWhiteSpace(Output);
        ArgumentNullException.ThrowIfNull(Ordering);
        Ordering.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(FlushInterval, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FlushInterval, TimeSpan.FromSeconds(10));
        ArgumentOutOfRangeException.ThrowIfLessThan(SyncInterval, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SyncInterval, TimeSpan.FromMinutes(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(AckInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(AckInterval, TimeSpan.FromMinutes(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(StatusInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(StatusInterval, TimeSpan.FromHours(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReadTimeout, TimeSpan.FromDays(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxConnections, 1_000_000);
        ArgumentNullException.ThrowIfNull(Allow);
        if (TlsKeyPath is not null && TlsCertificatePath is null)
        {
            throw new ArgumentException("A TLS key needs a TLS certificate.", nameof(TlsKeyPath));
        }
    }
}
