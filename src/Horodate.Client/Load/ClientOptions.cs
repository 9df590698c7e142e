namespace Horodate.Client.Load;

/// <summary>What <see cref="LoadClient"/> does; the command line builds one.</summary>
public sealed record ClientOptions
{
    /// <summary>The defaults: what a command line that sets nothing gets, and what its help text shows.</summary>
    public static ClientOptions Default { get; } = new();

    /// <summary>The server's host: an IP literal or a name (default 127.0.0.1).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The server's port (default 7890).</summary>
    public int Port { get; init; } = 7890;

    /// <summary>
    /// More servers (default none): connection i goes to server i mod k, <see cref="Host"/>:<see cref="Port"/> first,
    /// and a connection that cannot reach its server tries the next one (the edges of a tree, without a balancer).
    /// </summary>
    public IReadOnlyList<(string Host, int Port)> ExtraServers { get; init; } = [];

    /// <summary>How many connections to open (default 50, the statement's case).</summary>
    public int Connections { get; init; } = 50;

    /// <summary>How often each connection sends the time (default 50 ms).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long to run; <see langword="null"/> (the default) runs until stopped.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>
    /// All connections send at the same instants (the worst case for duplicates); by default their send
    /// instants are spread evenly over the interval.
    /// </summary>
    public bool Aligned { get; init; }

    /// <summary>Where to write every value sent, sorted, at exit; <see langword="null"/> for no record.</summary>
    public string? RecordPath { get; init; }

    /// <summary>Where to write every value the server acknowledged, sorted, at exit (an audit of the guarantee).</summary>
    public string? AckedRecordPath { get; init; }

    /// <summary>
    /// Scheduler threads (default: one per core, at most 4). Each owns a share of the connections and sends
    /// on them synchronously when due: no timer per connection, no thread hop per send.
    /// </summary>
    public int SchedulerThreads { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>
    /// Connection attempts in flight at once (default 256): ramps a large n without overflowing the
    /// server's accept backlog (512 on Kestrel by default).
    /// </summary>
    public int ConnectConcurrency { get; init; } = 256;

    /// <summary>
    /// How long one connection attempt may take before it counts as failed (default 5 s: over the first SYN
    /// retransmission, 1 s, and the second, 3 s, so that one lost SYN or SYN-ACK does not fail an attempt).
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first reconnect delay; it doubles on each failure (default 100 ms).</summary>
    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest reconnect delay (default 5 s).</summary>
    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Spread the connections over this many loopback source addresses, 127.0.0.1 to 127.0.0.K (default 0:
    /// let the system choose). Past about 14,000 connections to one (source, destination) pair, Linux's
    /// connect() slows down sharply looking for a free port; four sources keep a 19,000-connection ramp fast.
    /// For a server on 127.0.0.0/8 only.
    /// </summary>
    public int SourceAddresses { get; init; }

    /// <summary>
    /// Ask the server for acknowledgements (default true): every value is kept until acknowledged and
    /// resent after a reconnect. Against a server that does not answer the hello, the client carries on in
    /// plain mode. False (<c>--no-ack</c>) sends no hello: the statement's plain protocol.
    /// </summary>
    public bool Acknowledged { get; init; } = true;

    /// <summary>How much sending each connection keeps while unacknowledged (default 60 s: 1,200 values at 50 ms).</summary>
    public TimeSpan UnackedWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>At stop, how long at most (default 3 s, from the stop) to send what the connections owe and wait for the
    /// last acknowledgements. The client half-closes its connections, so the server syncs and acknowledges at once (within
    /// one sync interval, 1 s by default, at worst); the margin covers a server whose disk is slow to sync.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a hello may go unanswered before the server is taken for a plain one (default 2 s).</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Speak TLS (default false). Sends are then blocking writes with a 1 s timeout (a stalled server costs a
    /// reconnect rather than a stalled schedule), so TLS suits modest n better than the plain path.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Accept any server certificate (self-signed, wrong name): for tests only.</summary>
    public bool TlsInsecure { get; init; }

    /// <summary>How often a status line is printed (default 5 s); <see cref="TimeSpan.Zero"/> for none.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The server as <c>host:port</c>.</summary>
    public string Server => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>
    /// Checks the options against the ranges the command line allows, and throws <see cref="ArgumentException"/>
    /// naming the first bad one.
    /// </summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65_535);
        ArgumentNullException.ThrowIfNull(ExtraServers);
        foreach (var (host, port) in ExtraServers)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(host, nameof(ExtraServers));
            ArgumentOutOfRangeException.ThrowIfLessThan(port, 1, nameof(ExtraServers));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65_535, nameof(ExtraServers));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Connections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Connections, 1_000_000);
        ArgumentOutOfRangeException.ThrowIfLessThan(Interval, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Interval, TimeSpan.FromHours(1));
        if (Duration is { } duration)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.FromMilliseconds(1), nameof(Duration));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SchedulerThreads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SchedulerThreads, 64);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ConnectConcurrency);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMin, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMax, ReconnectMin);
        ArgumentOutOfRangeException.ThrowIfLessThan(SourceAddresses, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SourceAddresses, 254);
        ArgumentOutOfRangeException.ThrowIfLessThan(UnackedWindow, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(AckWait, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(AckWait, TimeSpan.FromMinutes(10));
        ArgumentOutOfRangeException.ThrowIfLessThan(HelloTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(StatusInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(StatusInterval, TimeSpan.FromHours(1));
    }
}
