using Horodate.Client.Load;

namespace Horodate.FunctionalTests;

/// <summary>The client's buffer of unacknowledged values, against a plain queue of longs as the model.</summary>
public sealed class UnackedBufferTests
{
    private const long Now = 1_764_000_000_000; // 2025-11-24 in Unix milliseconds
    private static readonly long Days30 = (long)TimeSpan.FromDays(30).TotalMilliseconds;

    [Fact]
    public void A_buffer_that_could_hold_no_value_is_refused_when_made() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new UnackedBuffer(limit: 0));

    [Fact]
    public void It_holds_what_a_queue_of_longs_holds_through_growth_wraparound_trims_and_clock_steps()
    {
        var random = new Random(20261128);
        for (var run = 0; run < 200; run++)
        {
            var limit = random.Next(1, 400);
            var buffer = run % 2 == 0 ? new UnackedBuffer(limit) : new UnackedBuffer(limit, capacity: random.Next(0, 300));
            var model = new Queue<long>();
            long dropped = 0, modelDropped = 0;
            var clock = Now;
            for (var step = 0; step < 2_000; step++)
            {
                var roll = random.Next(100);
                if (roll < 70)
                {
                    clock += random.Next(0, 100);
                    dropped += buffer.Push(clock);
                    model.Enqueue(clock);
                    if (model.Count > limit)
                    {
                        model.Dequeue();
                        modelDropped++;
                    }
                }
                else if (roll < 95)
                {
                    var through = model.Count == 0 ? clock : model.ElementAt(random.Next(model.Count)) - random.Next(0, 2);
                    var trimmed = 0;
                    while (model.Count > 0 && model.Peek() <= through)
                    {
                        model.Dequeue();
                        trimmed++;
                    }

                    Assert.Equal(trimmed, buffer.TrimThrough(through, null));
                }
                else if (roll < 99)
                {
                    clock -= random.Next(0, 10_000); // small steps back stay within the 32-bit distance
                }
                else
                {
                    buffer.Clear();
                    model.Clear();
                }

                Assert.Equal(model.Count, buffer.Count);
            }

            Assert.Equal(modelDropped, dropped);
            Assert.Equal(model, Enumerable.Range(0, buffer.Count).Select(i => buffer[i]));
        }
    }

    [Fact]
    public void A_clock_step_beyond_24_days_keeps_the_new_value_and_counts_the_old_ones_as_dropped()
    {
        var buffer = new UnackedBuffer(100);
        Assert.Equal(0, buffer.Push(Now));
        Assert.Equal(0, buffer.Push(Now + 50));

        Assert.Equal(2, buffer.Push(Now + Days30));
        Assert.Equal(0, buffer.Push(Now + Days30 + 50));
        Assert.Equal(2, buffer.Push(Now - Days30)); // and back

        Assert.Equal([Now - Days30], Enumerable.Range(0, buffer.Count).Select(i => buffer[i]));
    }

    [Fact]
    public void Values_up_to_24_days_apart_are_kept_exactly()
    {
        var buffer = new UnackedBuffer(100);
        long[] values = [Now, Now + int.MaxValue, Now - 1, Now + int.MinValue];
        foreach (var value in values)
        {
            Assert.Equal(0, buffer.Push(value));
        }

        Assert.Equal(values, Enumerable.Range(0, buffer.Count).Select(i => buffer[i]));
    }

    [Fact]
    public void A_buffer_sized_for_what_it_keeps_allocates_nothing_before_its_first_value_and_one_array_for_all_of_them()
    {
        var buffer = new UnackedBuffer(limit: 1_000, capacity: 128);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var trimmed = buffer.TrimThrough(Now, acked: null);
        var empty = GC.GetAllocatedBytesForCurrentThread() - before; // a plain server's connections keep nothing
        var dropped = 0;
        for (var i = 0; i < 125; i++)
        {
            dropped += buffer.Push(Now + i);
        }

        // One int[128] (512 bytes and its header), not the arrays of growing by half from a few values (~1.6 KB).
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, trimmed);
        Assert.Equal(0, empty);
        Assert.Equal(0, dropped);
        Assert.InRange(allocated, 512, 600);
        Assert.Equal(Enumerable.Range(0, 125).Select(i => Now + i), Enumerable.Range(0, buffer.Count).Select(i => buffer[i]));
    }
}
