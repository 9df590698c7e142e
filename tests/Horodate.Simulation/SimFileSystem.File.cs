namespace Horodate.Simulation;

/// <summary>The simulated file: its bytes and which of them the disk holds.</summary>
internal sealed partial class SimFileSystem
{
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
}
