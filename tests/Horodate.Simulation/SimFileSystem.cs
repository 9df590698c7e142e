using Horodate.Core.Durability;

namespace Horodate.Simulation;

/// <summary>
/// A file system in memory with real crash semantics: what was fsynced survives a crash; what was written
/// after the last fsync survives whole, vanishes, or survives cut at any byte. Writes can fail part-way
/// (the disk fills up, or a fault) and fsyncs can fail. Renames are atomic and durable (a simplification:
/// the server does not fsync directories).
/// </summary>
internal sealed class SimFileSystem(SimRandom random) : IFileSystem
{
    private readonly Dictionary<string, SimFile> _files = new(StringComparer.Ordinal);

    /// <summary>Bytes the disk holds at most (all files together); long.MaxValue: unlimited.</summary>
    public long Capacity { get; set; } = long.MaxValue;

    /// <summary>Per mille of writes that fail (after a random prefix of them reached the file).</summary>
    public int WriteFaultPerMille { get; set; }

    /// <summary>A file every write to which fails (a targeted fault; its fsyncs work), or null.</summary>
    public string? FailingPath { get; set; }

    /// <summary>Per mille of fsyncs that fail.</summary>
    public int SyncFaultPerMille { get; set; }

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

    /// <summary>Directory entries are durable at once here (renames survive a crash): nothing to do.</summary>
    public void SyncDirectory(string path)
    {
    }

    public void Rename(string source, string destination)
    {
        var file = _files[source];
        _files.Remove(source);
        file.Synced = file.Synced.Length == file.Length ? file.Synced : file.Data.AsSpan(0, file.Length).ToArray(); // durable with the rename
        _files[destination] = file;
    }

    /// <summary>The bytes of <paramref name="path"/> as a reader would see them now.</summary>
    public ReadOnlySpan<byte> Content(string path) => _files.TryGetValue(path, out var file) ? file.Data.AsSpan(0, file.Length) : default;

    /// <summary>A crash: each file keeps its synced bytes and, of what followed, all, nothing, or a prefix cut at any byte.</summary>
    public void Crash()
    {
        foreach (var file in _files.Values)
        {
            var synced = file.Synced;
            var common = 0;
            var max = Math.Min(synced.Length, file.Length);
            while (common < max && synced[common] == file.Data[common])
            {
                common++;
            }

            int keep;
            switch (random.Next(4))
            {
                case 3:
                    // The new length survived, the data of the unsynced blocks did not: they read as NUL bytes.
                    keep = file.Length;
                    var zeroFrom = common + random.Next(file.Length - common + 1);
                    file.Data.AsSpan(zeroFrom, file.Length - zeroFrom).Clear();
                    break;
                case 0:
                    keep = file.Length; // everything written survived (the page cache was flushed)
                    break;
                case 1:
                    keep = -1; // back to what was synced
                    break;
                default:
                    keep = common + random.Next(file.Length - common + 1); // cut at any byte
                    break;
            }

            if (keep < 0)
            {
                file.Ensure(synced.Length);
                synced.CopyTo(file.Data, 0);
                file.Length = synced.Length;
            }
            else
            {
                file.Length = keep;
            }

            file.Synced = file.Data.AsSpan(0, file.Length).ToArray();
        }
    }

    private sealed class SimFile
    {
        public byte[] Data = new byte[256];
        public int Length;
        public byte[] Synced = [];

        public void Ensure(int length)
        {
            if (Data.Length < length)
            {
                Array.Resize(ref Data, Math.Max(length, Data.Length * 2));
            }
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
            }

            bytes[..take].CopyTo(file.Data.AsSpan((int)offset));
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
            file.Ensure((int)length);
            if (length > file.Length)
            {
                file.Data.AsSpan(file.Length, (int)length - file.Length).Clear();
            }

            file.Length = (int)length;
        }

        public void Sync()
        {
            if (system.SyncFaultPerMille > 0 && system.Next(1000) < system.SyncFaultPerMille)
            {
                throw new IOException("Input/output error on fsync (simulated)");
            }

            file.Synced = file.Data.AsSpan(0, file.Length).ToArray();
        }

        public void Dispose()
        {
        }
    }

    private int Next(int max) => random.Next(max);
}
