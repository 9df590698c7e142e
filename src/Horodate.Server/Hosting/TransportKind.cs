namespace Horodate.Server.Hosting;

/// <summary>How the server reads its connections.</summary>
public enum TransportKind
{
    /// <summary><see cref="Epoll"/> where it is supported (Linux on x64), <see cref="Kestrel"/> elsewhere.</summary>
    Auto,

    /// <summary>
    /// One thread in an epoll loop reads every connection and hands the values over in batches: the lean
    /// path, 6–9 µs of server CPU per value on loopback against Kestrel's 22–34 µs (docs/performance.md).
    /// Linux on x64 only.
    /// </summary>
    Epoll,

    /// <summary>Kestrel's socket transport with a PipeReader per connection: portable, more CPU per value.</summary>
    Kestrel,
}
