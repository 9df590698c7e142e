using Horodate.Core.Durability;

namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// The edge's sink, on the durable path's file seam: the output and its <c>.late</c> are not files but the edge's
/// subject on JetStream. Every append (one per flush that produced lines) is published as one <see cref="Frame"/>
/// of the edge's <see cref="FrameSequence"/> and returns only once JetStream's PubAck for it has arrived, so that
/// what the ingest core acknowledges to a client after a "sync" is already held by JetStream; the sync itself has
/// nothing left to do. A failed publish is a failed write: the core pushes back on the transports and retries, and
/// the frame in doubt is republished with the same <c>Nats-Msg-Id</c> and bytes (JetStream drops it if it had
/// landed) before anything newer. Every other file (the keep-duplicates journal) lives in memory: an edge keeps
/// nothing across a restart, its clients resend what it had not acknowledged.
/// </summary>
internal sealed class FrameFileSystem(FrameSequence frames, string output) : IFileSystem
{
    private readonly Dictionary<string, MemoryFile> _memory = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public bool Exists(string path)
    {
        lock (_gate)
        {
            return _memory.ContainsKey(path);
        }
    }

    /// <inheritdoc />
    public IStorageFile Open(string path, bool truncate = false)
    {
        if (path == output || path == output + ".late")
        {
            return new FrameFile(frames, path != output ? Frame.Late : Frame.Ordered);
        }

        lock (_gate)
        {
            if (truncate || !_memory.TryGetValue(path, out var file))
            {
                _memory[path] = file = new MemoryFile();
            }

            return file;
        }
    }

    /// <inheritdoc />
    public void Rename(string source, string destination)
    {
        lock (_gate)
        {
            if (_memory.Remove(source, out var file))
            {
                _memory[destination] = file;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Nothing to do: an edge's files are frames (durable once JetStream's PubAck is in) or memory.</remarks>
    public void SyncDirectory(string path)
    {
    }

    /// <summary>The output or the late file: appends become frames.</summary>
    private sealed class FrameFile(FrameSequence frames, string kind) : IStorageFile
    {
        private long _length;
        private long _published; // bytes JetStream surely holds

        public long Length => _length;

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            if (offset > _published)
            {
                throw new IOException($"A frame file is appended to only (offset {offset}, published {_published}).");
            }

            // A retry after a failure brings the same lines again (and maybe more behind them): the frame in doubt is
            // republished first as it was (same id, same bytes; if it is this file's, its bytes count as published
            // then), what JetStream surely holds is skipped, then the rest is a new frame.
            frames.Flush();
            var rest = bytes[(int)Math.Min(_published - offset, bytes.Length)..];
            if (!rest.IsEmpty)
            {
                var payload = rest.ToArray();
                frames.Publish(kind, payload, () => _published += payload.Length);
            }

            _length = offset + bytes.Length;
        }

        public void SetLength(long length)
        {
            // A failed append is cut back so that its retry leaves no half line; what was published stays published.
            _length = length;
        }

        public int Read(long offset, Span<byte> buffer) => 0; // what JetStream holds is the root's to read

        public void Sync()
        {
            // Every frame was PubAck'd before its append returned.
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A file in memory (the journal of keep-duplicates mode on an edge).</summary>
    private sealed class MemoryFile : IStorageFile
    {
        private byte[] _bytes = [];
        private long _length;

        public long Length => _length;

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            var end = offset + bytes.Length;
            if (end > _bytes.Length)
            {
                Array.Resize(ref _bytes, (int)Math.Max(end, _bytes.Length * 2L));
            }

            bytes.CopyTo(_bytes.AsSpan((int)offset));
            _length = Math.Max(_length, end);
        }

        public int Read(long offset, Span<byte> buffer)
        {
            var n = (int)Math.Clamp(_length - offset, 0, buffer.Length);
            _bytes.AsSpan((int)offset, n).CopyTo(buffer);
            return n;
        }

        public void SetLength(long length)
        {
            if (length > _bytes.Length)
            {
                Array.Resize(ref _bytes, (int)length);
            }

            _length = length;
        }

        public void Sync()
        {
        }

        public void Dispose()
        {
        }
    }
}
