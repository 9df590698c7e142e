using System.Diagnostics;

namespace Horodate.Torture;

/// <summary>
/// The output's own small disk: a tmpfs (mounting one needs root, as CI runs), so that a fault can fill
/// it for real and free it again, as tests/Horodate.FunctionalTests/FullDiskTests.cs does.
/// </summary>
internal sealed class Disk : IDisposable
{
    /// <summary>Room for a schedule's files: 200 connections × 20 values/s × 14 bytes × 60 s ≈ 3.4 MB, with margin.</summary>
    private const string Size = "64m";

    private readonly string _filler;

    private Disk(string path, bool mounted)
    {
        Path = path;
        Mounted = mounted;
        _filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    /// <summary>False when no tmpfs could be mounted (not root): the directory is an ordinary one and cannot be filled.</summary>
    public bool Mounted { get; }

    public static async Task<Disk> MountAsync(string path)
    {
        Directory.CreateDirectory(path);
        var mounted = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={Size},mode=0700", "tmpfs", path).ConfigureAwait(false) == 0;
        return new Disk(path, mounted);
    }

    /// <summary>
    /// Unmounts a tmpfs that an earlier run, killed before it could clean up, left mounted at <paramref name="path"/>:
    /// its directory could not be deleted otherwise ("Device or resource busy").
    /// </summary>
    public static async Task UnmountLeftoverAsync(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists("/proc/mounts") && File.ReadLines("/proc/mounts").Any(line => line.Split(' ') is [_, var point, ..] && point == full))
        {
            _ = await RunAsync("umount", "-l", full).ConfigureAwait(false);
        }
    }

    /// <summary>Whether this machine lets the harness mount a tmpfs (tried once, in a scratch directory).</summary>
    public static async Task<bool> CanMountAsync(string scratch)
    {
        using var disk = await MountAsync(scratch).ConfigureAwait(false);
        return disk.Mounted;
    }

    /// <summary>Fills every free byte: the server's next writes fail with ENOSPC.</summary>
    public void Fill()
    {
        using var file = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, 1);
        foreach (var chunk in new[] { 1 << 20, 1 << 12, 1 })
        {
            var zeros = new byte[chunk];
            try
            {
                while (true)
                {
                    file.Write(zeros);
                    file.Flush();
                }
            }
            catch (IOException)
            {
                // full at this granularity; go on with a smaller one
            }
        }
    }

    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        if (Mounted)
        {
            RunAsync("umount", "-l", Path).GetAwaiter().GetResult();
        }
    }

    private static async Task<int> RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }
}
