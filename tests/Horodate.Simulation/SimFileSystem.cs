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
internal sealed class SimFileSystem(SimRandom random) : IFileSystem
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
        var file = _files[source];
        _files.Remove(source);
        _files[destination] = file;
    }

    public void SyncDirectory(string path)
    {
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

    private sealed class SimFile
    {
        public byte[] Data = new byte[256];
        public byte[] State = new byte[256];
        public int Length;
        public byte[] Disk = [];
        public int DirtyFrom = int.MaxValue; // the lowest byte dirtied since the last sync
        public bool HasDropped;              // some byte is Dropped (the slow paths)

        public void Ensure(int length)
        {
            if (Data.Length < length)
            {
                var size = Math.Max(length, Data.Length * 2);
                Array.Resize(ref Data, size);
                Array.Resize(ref State, size);
            }
        }

        public void Written(int offset, int count)
        {
            State.AsSpan(offset, count).Fill(Dirty);
            DirtyFrom = Math.Min(DirtyFrom, offset);
        }

        /// <summary>What the disk holds at <paramref name="i"/>: its old byte, or NUL past its end (a block never written).</summary>
        public byte OnDisk(int i) => i < Disk.Length ? Disk[i] : (byte)0;

        public void Synced()
        {
            if (!HasDropped)
            {
                Disk = Data.AsSpan(0, Length).ToArray();
                if (DirtyFrom < Length)
                {
                    State.AsSpan(DirtyFrom, Length - DirtyFrom).Clear();
                }

                DirtyFrom = int.MaxValue;
                return;
            }

            var disk = new byte[Length];
            for (var i = 0; i < Length; i++)
            {
                disk[i] = State[i] == Dirty ? Data[i] : State[i] == Dropped ? OnDisk(i) : Data[i];
                if (State[i] == Dirty)
                {
                    State[i] = Clean;
                }
            }

            Disk = disk;
            DirtyFrom = int.MaxValue;
            HasDropped = State.AsSpan(0, Length).Contains(Dropped);
        }

        public void Drop()
        {
            if (DirtyFrom < Length)
            {
                State.AsSpan(DirtyFrom, Length - DirtyFrom).Replace(Dirty, Dropped);
                HasDropped = true;
            }

            DirtyFrom = int.MaxValue;
        }

        public void PowerLoss(SimRandom random, bool nulTails)
        {
            // Everything the cache held that could have been written back (dropped bytes never are: the disk's old
            // bytes, NUL past its end; or, without NUL tails, the file ends where the dropped bytes pass the disk's end).
            var length = Length;
            for (var i = Disk.Length; i < Length && !nulTails; i++)
            {
                if (State[i] == Dropped)
                {
                    length = i;
                    break;
                }
            }

            var full = new byte[length];
            for (var i = 0; i < length; i++)
            {
                full[i] = State[i] == Dropped ? OnDisk(i) : Data[i];
            }

            var common = 0;
            var max = Math.Min(Disk.Length, full.Length);
            while (common < max && Disk[common] == full[common])
            {
                common++;
            }

            byte[] image;
            switch (random.Next(nulTails ? 4 : 3))
            {
                case 0:
                    image = full; // everything written survived (the page cache was flushed)
                    break;
                case 1:
                    image = Disk; // back to what was durable
                    break;
                case 2:
                    image = full.AsSpan(0, common + random.Next(full.Length - common + 1)).ToArray(); // cut at any byte
                    break;
                default:
                    // The new length reached the disk, the last blocks did not: NUL (or the old bytes) from some point on.
                    image = full;
                    for (var i = common + random.Next(full.Length - common + 1); i < image.Length; i++)
                    {
                        image[i] = OnDisk(i);
                    }

                    break;
            }

            Length = image.Length;
            Ensure(Length);
            image.CopyTo(Data, 0);
            State.AsSpan().Clear();
            Disk = image.ToArray();
            DirtyFrom = int.MaxValue;
            HasDropped = false;
        }
    }

    private sealed class Handle(SimFileSystem system, SimFile file, string path) : IStorageFile
    {
        public long Length => file.Length;

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            var room = system.Capacity - system.Used + Math.Max(0, file.Length - offset);
            var fault = (system.WriteFaultPerMille > 0 && system.Next(1000) < system.WriteFaultPerMille) || system.FailingPath == path;
            var take = bytes.Length;
            if (fault || room < bytes.Length)
            {
                take = (int)Math.Clamp(Math.Min(room, system.Next(bytes.Length)), 0, bytes.Length);
            }

            file.Ensure((int)offset + take);
            if (offset > file.Length)
            {
                file.Data.AsSpan(file.Length, (int)offset - file.Length).Clear();
                file.Written(file.Length, (int)offset - file.Length);
            }

            bytes[..take].CopyTo(file.Data.AsSpan((int)offset));
            file.Written((int)offset, take);
            file.Length = Math.Max(file.Length, (int)offset + take);
            if (take < bytes.Length)
            {
                throw new IOException(fault ? "Input/output error (simulated)" : "No space left on device (simulated)");
            }
        }

        public int Read(long offset, Span<byte> buffer)
        {
            var n = (int)Math.Clamp(file.Length - offset, 0, buffer.Length);
            file.Data.AsSpan((int)offset, n).CopyTo(buffer);
            return n;
        }

        public void SetLength(long length)
        {
            if (system.SetLengthFaults)
            {
                throw new IOException("Input/output error on truncate (simulated)");
            }

            file.Ensure((int)length);
            if (length > file.Length)
            {
                file.Data.AsSpan(file.Length, (int)length - file.Length).Clear();
                file.Written(file.Length, (int)length - file.Length);
            }

            file.Length = (int)length;
        }

        public void Sync()
        {
            if (system.SyncFaultPerMille > 0 && system.Next(1000) < system.SyncFaultPerMille)
            {
                system.FailedSyncs++;
                if (system.DropOnSyncFault ?? system.Next(2) == 0)
                {
                    file.Drop(); // Linux: the pages that could not be written are marked clean, their data lost to the disk
                }

                throw new SyncFailedException(path, "Input/output error (simulated)");
            }

            file.Synced();
        }

        public void Dispose()
        {
        }
    }

    private int Next(int max) => random.Next(max);
}
