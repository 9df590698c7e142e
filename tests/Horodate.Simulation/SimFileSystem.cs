using Horodate.Core.Durability;

namespace Horodate.Simulation;

/// <summary>
/// A file system in memory with the crash semantics of a real one (Linux, ext4/xfs), the page cache and the disk
/// kept apart:
/// <list type="bullet">
/// <item>Reads see the page cache. A write makes its bytes dirty; only a successful fsync makes them durable.</item>
/// <item>A failed fsync leaves them dirty, or (as Linux does) drops them: marked clean, still seen by reads, never
/// written by a later fsync, which succeeds without them (fsyncgate). Only rewriting them makes them dirty again.</item>
/// <item>A process crash (<see cref="ProcessCrash"/>) changes nothing: the kernel keeps the page cache, still dirty,
/// and a later power loss can still take it.</item>
/// <item>A power loss (<see cref="PowerLoss"/>) keeps what is durable; of each file's dirty bytes, all, none, a
/// prefix cut at any byte, or (with <see cref="NulTails"/>) the new length with its last blocks never written:
/// a tail of NUL bytes. Dropped bytes come back as the disk held them (NUL past its old end).</item>
/// <item>A new file, or a rename, survives a power loss only once its directory was synced.</item>
/// </list>
/// Writes can fail part-way (the disk fills up, or a fault) and fsyncs can fail.
/// </summary>
internal sealed partial class SimFileSystem(SimRandom random) : IFileSystem
{
    private const byte Clean = 0;
    private const byte Dirty = 1;
    private const byte Dropped = 2;

    private readonly Dictionary<string, SimFile> _files = new(StringComparer.Ordinal);
    private Dictionary<string, SimFile> _durableEntries = new(StringComparer.Ordinal);

    /// <summary>Bytes the disk holds at most (all files together); long.MaxValue: unlimited.</summary>
    public long Capacity { get; set; } = long.MaxValue;

    /// <summary>Per mille of writes that fail (after a random prefix of them reached the file).</summary>
    public int WriteFaultPerMille { get; set; }

    /// <summary>A file every write to which fails (a targeted fault; its fsyncs work), or null.</summary>
    public string? FailingPath { get; set; }

    /// <summary>Per mille of fsyncs that fail.</summary>
    public int SyncFaultPerMille { get; set; }

    /// <summary>Whether a failed fsync drops the dirty pages (true), keeps them dirty (false), or either (null, the default).</summary>
    public bool? DropOnSyncFault { get; set; }

    /// <summary>Whether cutting (or extending) a file fails (a targeted fault).</summary>
    public bool SetLengthFaults { get; set; }

    /// <summary>
    /// Whether a power loss can leave a file's new length with its last blocks unwritten (NUL bytes), as xfs and ext4
    /// can, notably after a failed fsync dropped them (on by default: recovery cuts such a tail as torn); off, the file
    /// ends before them instead.
    /// </summary>
    public bool NulTails { get; set; } = true;

    /// <summary>
    /// While above 0, counts down the changes the process makes (writes, cuts, fsyncs, renames); the one that brings
    /// it to 0 is where the process dies (<see cref="SimulatedCrash"/>): before a cut, an fsync or a rename, or in the
    /// middle of a write, a prefix of it in the page cache. For a crash during the server's recovery at its start.
    /// </summary>
    public int CrashAfterOps { get; set; }

    /// <summary>True for the change the process dies at (<see cref="CrashAfterOps"/>).</summary>
    internal bool AtCrashPoint() => CrashAfterOps > 0 && --CrashAfterOps == 0;

    /// <summary>Throws <see cref="SimulatedCrash"/> at the crash point.</summary>
    internal void CrashPoint(string where)
    {
        if (AtCrashPoint())
        {
            throw new SimulatedCrash(where);
        }
    }

    /// <summary>How many fsyncs failed so far.</summary>
    public int FailedSyncs { get; private set; }

    public long Used
    {
        get
        {
            long used = 0;
            foreach (var file in _files.Values)
            {
                used += file.Length;
            }

            return used;
        }
    }

    public bool Exists(string path) => _files.ContainsKey(path);

    public IStorageFile Open(string path, bool truncate = false)
    {
        if (!_files.TryGetValue(path, out var file))
        {
            file = new SimFile();
            _files.Add(path, file);
        }
        else if (truncate)
        {
            file.Length = 0;
        }

        return new Handle(this, file, path);
    }

    public void Rename(string source, string destination)
    {
        CrashPoint($"before renaming {source} to {destination}");
        var file = _files[source];
        _files.Remove(source);
        _files[destination] = file;
    }

    public void SyncDirectory(string path)
    {
        CrashPoint($"before an fsync of the directory of {path}");
        if (SyncFaultPerMille > 0 && Next(1000) < SyncFaultPerMille)
        {
            FailedSyncs++;
            throw new SyncFailedException(Path.GetDirectoryName(path) ?? "/", "Input/output error (simulated)");
        }

        // One directory in the simulation: its entries as they are now.
        _durableEntries = new Dictionary<string, SimFile>(_files, StringComparer.Ordinal);
    }

    /// <summary>The bytes of <paramref name="path"/> as a reader would see them now.</summary>
    public ReadOnlySpan<byte> Content(string path) => _files.TryGetValue(path, out var file) ? file.Data.AsSpan(0, file.Length) : default;

    /// <summary>A crash: the process killed (the page cache outlives it) or, as often, a power loss.</summary>
    public void Crash()
    {
        if (random.Next(2) == 0)
        {
            ProcessCrash();
        }
        else
        {
            PowerLoss();
        }
    }

    /// <summary>The process dies, the machine stays up: nothing changes (the kernel keeps the page cache, dirty or not).</summary>
    public static void ProcessCrash()
    {
    }

    /// <summary>The power fails: only durable directory entries remain; each file keeps its durable bytes and some of its dirty ones.</summary>
    public void PowerLoss()
    {
        _files.Clear();
        foreach (var (path, file) in _durableEntries)
        {
            _files[path] = file;
        }

        foreach (var file in _files.Values.Distinct())
        {
            file.PowerLoss(random, NulTails);
        }
    }

    private int Next(int max) => random.Next(max);
}

/// <summary>
/// The process died at a change it was making (<see cref="SimFileSystem.CrashAfterOps"/>): not an error the production
/// code may handle, it unwinds the whole start. The simulator then crashes the file system (the process, or the power).
/// </summary>
internal sealed class SimulatedCrash(string where) : Exception($"crashed {where}");
