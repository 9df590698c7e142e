namespace Horodate.Core.Durability;

/// <summary>Rewrites what a file shows, so that an fsync makes it durable whatever the page cache had marked clean.</summary>
internal static class DurableRewrite
{
    /// <summary>The chunk read and written back at a time (1 MiB: a few hundred microseconds of I/O, a bounded buffer).</summary>
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Reads the last <paramref name="tailBytes"/> of <paramref name="path"/> and writes them back in place on a fresh
    /// descriptor, then fsyncs: what reads show of that tail is then on the disk, even pages a failed fsync of an
    /// earlier run had dropped (marked clean without being written).
    /// </summary>
    /// <exception cref="IOException">A read, write or the fsync failed.</exception>
    public static void RewriteTail(IFileSystem files, string path, long tailBytes)
    {
        using var file = files.Open(path);
        var length = file.Length;
        var offset = Math.Max(0, length - tailBytes);
        var buffer = new byte[(int)Math.Min(ChunkBytes, Math.Max(length - offset, 1))];
        while (offset < length)
        {
            var read = file.Read(offset, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - offset)));
            if (read == 0)
            {
                break;
            }

            file.Write(offset, buffer.AsSpan(0, read));
            offset += read;
        }

        file.Sync();
    }
}
