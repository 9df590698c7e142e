using Horodate.Core.Durability;

namespace Horodate.Simulation;

/// <summary>An open simulated file: what the production code writes, syncs and truncates through.</summary>
internal sealed partial class SimFileSystem
{
    private sealed class Handle(SimFileSystem system, SimFile file, string path) : IStorageFile
    {
        public long Length => file.Length;

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            var room = system.Capacity - system.Used + Math.Max(0, file.Length - offset);
            var crash = system.AtCrashPoint();
            var fault = (system.WriteFaultPerMille > 0 && system.Next(1000) < system.WriteFaultPerMille) || system.FailingPath == path;
            var take = bytes.Length;
            if (crash || fault || room < bytes.Length)
            {
                take = (int)Math.Clamp(Math.Min(room, system.Next(bytes.Length + (crash ? 1 : 0))), 0, bytes.Length);
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
            if (crash)
            {
                throw new SimulatedCrash($"during a write of {bytes.Length} B to {path} ({take} B of it written)");
            }

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
            system.CrashPoint($"before cutting {path} to {length} B");
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
            system.CrashPoint($"before an fsync of {path}");
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
}
