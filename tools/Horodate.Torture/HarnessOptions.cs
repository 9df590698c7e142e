using Horodate.Torture.Tree;

namespace Horodate.Torture;

/// <summary>Where the programs are, where the files go, what this machine allows.</summary>
internal sealed record HarnessOptions
{
    public required string Server { get; init; }

    public required string Client { get; init; }

    public required string Checker { get; init; }

    /// <summary>Each schedule works in <c>WorkDir/seed-S</c>, kept when it fails (or always with <see cref="KeepFiles"/>).</summary>
    public required string WorkDir { get; init; }

    public bool KeepFiles { get; init; }

    /// <summary>The tree mode (nats-server, edges, a root): null for the single server's schedules.</summary>
    public TreeMode? Tree { get; init; }

    /// <summary>nats-server (2.9, JetStream built in), for the tree mode: Debian's, on the PATH.</summary>
    public string NatsServer { get; init; } = "nats-server";

    /// <summary>HAProxy, for the tree mode's schedules that put it in front of the edges.</summary>
    public string Haproxy { get; init; } = "haproxy";

    /// <summary>Whether a tmpfs can be mounted (root): without it no disk-full window is drawn.</summary>
    public bool DiskFaults { get; init; }
}
