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

    /// <summary>Whether a tmpfs can be mounted (root): without it no disk-full window is drawn.</summary>
    public bool DiskFaults { get; init; }
}
