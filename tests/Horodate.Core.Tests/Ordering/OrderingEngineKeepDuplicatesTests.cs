using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Ordering;

/// <summary>
/// With <c>--keep-duplicates</c> every copy is data: a copy of the value the output ends with, arriving once the write
/// point has passed it, still keeps the output ascending, so it goes there, not to <c>.late</c>. (The fault harness,
/// seed 20261128004: another client's copy of the file's last value, received after a restart, went to <c>.late</c>.)
/// </summary>
public sealed class OrderingEngineKeepDuplicatesTests
{
    private const long T0 = 1_732_200_000_000;
    private static readonly OrderingOptions KeepDuplicates = new() { Dedupe = false };

    [Fact]
    public void After_a_restart_another_copy_of_the_files_last_value_is_appended_to_the_output_not_stored_late()
    {
        var output = new RecordingOutput { KeepDuplicates = true };
        var engine = new OrderingEngine(KeepDuplicates, output, lastWritten: T0 + 100, nowMs: T0 + 200);
        var b = engine.OpenSource(T0 + 200);

        engine.Ingest(b, [T0 + 100, T0 + 99, T0 + 150], T0 + 200);
        engine.CloseSource(b);
        engine.Advance(T0 + 200 + 8_000); // past the resume grace

        Assert.Equal([T0 + 100, T0 + 150], output.Written);
        Assert.Equal([T0 + 99], output.Late); // below the file's end: late, as ever
        Assert.Equal(1, engine.Counters.Late);
    }

    [Fact]
    public void While_running_a_late_copy_of_the_last_value_written_follows_it_and_an_older_one_is_late()
    {
        var output = new RecordingOutput { KeepDuplicates = true };
        var engine = new OrderingEngine(KeepDuplicates, output, lastWritten: null, nowMs: T0);
        var a = engine.OpenSource(T0);
        engine.Ingest(a, [T0 + 10, T0 + 20], T0 + 20);
        engine.CloseSource(a);
        engine.Advance(T0 + 21); // nothing holds the write point: 10 and 20 are written

        var b = engine.OpenSource(T0 + 21);
        engine.Ingest(b, [T0 + 20], T0 + 21); // a copy of the last value written: still in order after it
        engine.Ingest(b, [T0 + 25], T0 + 25);
        engine.CloseSource(b);
        engine.Advance(T0 + 26);

        var c = engine.OpenSource(T0 + 26);
        engine.Ingest(c, [T0 + 20], T0 + 26); // 25 was written since: 20 would break the order
        Assert.Equal([T0 + 10, T0 + 20, T0 + 20, T0 + 25], output.Written);
        Assert.Equal([T0 + 20], output.Late);
    }

    [Fact]
    public void In_dedupe_mode_a_copy_of_the_files_last_value_is_a_duplicate()
    {
        var output = new RecordingOutput();
        var engine = new OrderingEngine(new OrderingOptions { Dedupe = true }, output, lastWritten: T0 + 100, nowMs: T0 + 200);
        var b = engine.OpenSource(T0 + 200);

        engine.Ingest(b, [T0 + 100], T0 + 200);

        Assert.Empty(output.Written);
        Assert.Empty(output.Late);
        Assert.Equal(1, engine.Counters.Duplicates);
    }
}
