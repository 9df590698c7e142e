namespace Horodate.Core.Durability;

/// <summary>
/// The file seam: the few operations the durable path performs on files. <see cref="PhysicalFileSystem"/> in
/// production; a simulated one with crash semantics in the simulator.
/// </summary>
public interface IFileSystem
{
    /// <summary>True when a file exists at <paramref name="path"/>.</summary>
    bool Exists(string path);

    /// <summary>
    /// Opens <paramref name="path"/> for reading and writing; with <paramref name="truncate"/> a new empty
    /// file replaces any existing one; otherwise an existing file is kept and a missing one created (owner-only).
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    IStorageFile Open(string path, bool truncate = false);

    /// <summary>Moves <paramref name="source"/> over <paramref name="destination"/>, replacing it.</summary>
    void Rename(string source, string destination);

    /// <summary>
    /// Makes the directory holding <paramref name="path"/> durable (fsync of the directory): a file just created, or
    /// renamed, is only sure to survive a power loss under its name once its directory entry is.
    /// </summary>
    /// <exception cref="IOException">The directory could not be synced.</exception>
    void SyncDirectory(string path);
}

/// <summary>One open file of the <see cref="IFileSystem"/> seam. Positional reads and writes: no hidden cursor or buffer.</summary>
public interface IStorageFile : IDisposable
{
    /// <summary>The file's current length (written bytes included, durable or not).</summary>
    long Length { get; }

    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/>; may fail part-way (a full disk).</summary>
    /// <exception cref="IOException">The write failed; some prefix of it may have reached the file.</exception>
    void Write(long offset, ReadOnlySpan<byte> bytes);

    /// <summary>Reads up to <paramref name="buffer"/>'s length from <paramref name="offset"/>; returns the bytes read (0 at the end).</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>Cuts (or extends) the file to <paramref name="length"/> bytes.</summary>
    void SetLength(long length);

    /// <summary>Makes everything written so far durable (fsync).</summary>
    /// <exception cref="IOException">The sync failed: nothing written since the last successful one is known durable.</exception>
    void Sync();
}

/// <summary>The operating system's files.</summary>
public sealed class PhysicalFileSystem : IFileSystem
{
    /// <summary>The one instance.</summary>
    public static PhysicalFileSystem Instance { get; } = new();

    private PhysicalFileSystem()
    {
    }

    /// <inheritdoc />
    public bool Exists(string path) => File.Exists(path);

    /// <inheritdoc />
    public IStorageFile Open(string path, bool truncate = false)
    {
        var options = new FileStreamOptions
        {
            Mode = truncate ? FileMode.Create : FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new PhysicalFile(new FileStream(path, options));
    }

    /// <inheritdoc />
    public void Rename(string source, string destination) => File.Move(source, destination, overwrite: true);

    /// <inheritdoc />
    public void SyncDirectory(string path) => DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/");

    private sealed class PhysicalFile(FileStream stream) : IStorageFile
    {
        public long Length => RandomAccess.GetLength(stream.SafeFileHandle);

        public void Write(long offset, ReadOnlySpan<byte> bytes) => RandomAccess.Write(stream.SafeFileHandle, bytes, offset);

        public int Read(long offset, Span<byte> buffer) => RandomAccess.Read(stream.SafeFileHandle, buffer, offset);

        public void SetLength(long length) => stream.SetLength(length);

        public void Sync() => stream.Flush(flushToDisk: true);

        public void Dispose() => stream.Dispose();
    }
}
