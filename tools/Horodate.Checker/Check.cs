using System.Globalization;

namespace Horodate.Checker;

/// <summary>An inclusive span of Unix milliseconds.</summary>
internal readonly record struct Window(long From, long To)
{
    public bool Contains(long value) => value >= From && value <= To;

    /// <summary>Parses <c>FROM-TO</c> (Unix milliseconds).</summary>
    public static Window Parse(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            throw new FormatException($"a window is FROM-TO in Unix milliseconds, not \"{text}\"");
        }

        return new Window(long.Parse(text.AsSpan(0, dash), CultureInfo.InvariantCulture), long.Parse(text.AsSpan(dash + 1), CultureInfo.InvariantCulture));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{From}-{To}");
}

/// <summary>What the checker is given: the server's files and what the clients say they sent and got acknowledged.</summary>
internal sealed record CheckInput
{
    /// <summary>The server's <c>--output</c>; <c>OUTPUT.late</c> is read beside it.</summary>
    public required string Output { get; init; }

    /// <summary>The server ran with <c>--keep-duplicates</c>: copies count, the main file may repeat a value.</summary>
    public bool KeepDuplicates { get; init; }

    /// <summary>The acknowledged clients' <c>--record-acked</c> files: each value (copy) must be stored.</summary>
    public IReadOnlyList<string> Acked { get; init; } = [];

    /// <summary>Every record of what was sent (<c>--record</c> of every client, plain or not, and the raw peers'): nothing else may be stored.</summary>
    public IReadOnlyList<string> Sent { get; init; } = [];

    /// <summary>
    /// Plain clients' records: the README promises them only that what the server received is written,
    /// so each of their values must be stored unless it falls in an <see cref="Excused"/> window.
    /// </summary>
    public IReadOnlyList<string> Required { get; init; } = [];

    /// <summary>Around a server stop or crash: plain values sent then may have been lost (in flight, in memory, cut with the journal).</summary>
    public IReadOnlyList<Window> Excused { get; init; } = [];

    /// <summary>The lifetimes of clients whose records were lost (<c>kill -9</c>): values stored from then need no record.</summary>
    public IReadOnlyList<Window> Unrecorded { get; init; } = [];

    /// <summary>When set (Unix ms, the run's start), each example also says when in the run its value was sent (<c>@+12.3s</c>).</summary>
    public long? Origin { get; init; }
}

/// <summary>One broken promise: how many values break it, and a few of them.</summary>
internal sealed record Violation(string Kind, string Promise, long Count, IReadOnlyList<string> Examples)
{
    public override string ToString() =>
        $"{Kind}: {Count.ToString("N0", CultureInfo.InvariantCulture)} — {Promise}; e.g. {string.Join(", ", Examples)}";
}

/// <summary>The verdict, with the figures it was drawn from.</summary>
internal sealed record CheckReport(IReadOnlyList<Violation> Violations, long MainLines, long LateLines, long AckedValues, long SentValues, long RequiredValues)
{
    public bool Ok => Violations.Count == 0;
}

/// <summary>
/// Checks the server's files against the README's promises, from the clients' side. The promises (README,
/// "What the server promises" and "Guarantees"):
/// <list type="bullet">
/// <item>the main file is ascending — strictly in dedupe mode — and made of whole lines; so is <c>.late</c> (lines);</item>
/// <item>every acknowledged value is stored exactly once, the main file and <c>.late</c> together — copy for copy with
/// <c>--keep-duplicates</c> (at least as many copies as were acknowledged, and no more than were sent);</item>
/// <item>dedupe: no value twice, in particular not in both files;</item>
/// <item>nothing is stored that no client sent;</item>
/// <item>acknowledged clients' values land in order: after a restart the write point waits at the file's end for their
/// resends, and after a full disk the server "resumes in order"; an acknowledged copy found only in <c>.late</c> broke that
/// (horodate-client's values are its clock's, so only a fault can make them late);</item>
/// <item>plain clients: what the server received is written — checked for the values sent outside the excused windows
/// around server stops and crashes, where the README lets in-flight and in-memory values go.</item>
/// </list>
/// </summary>
internal static class Check
{
    private const int MaxExamples = 5;

    public static CheckReport Run(CheckInput input)
    {
        var main = ValueFile.Read(input.Output);
        var late = ValueFile.Read(input.Output + ".late");
        var violations = new List<Violation>();

        // Whole lines only.
        foreach (var file in new[] { main, late })
        {
            if (file.Malformed.Count > 0)
            {
                violations.Add(new Violation("malformed", $"{Path.GetFileName(file.Path)} holds only whole values, one per line", file.Malformed.Count, file.Malformed.Take(MaxExamples).ToList()));
            }

            if (!file.EndsOnLine)
            {
                violations.Add(new Violation("torn", $"{Path.GetFileName(file.Path)} ends on a line boundary", 1, ["the last line has no newline"]));
            }
        }

        // Order.
        var inversions = new List<string>();
        long inversionCount = 0;
        for (var i = 1; i < main.Values.Count; i++)
        {
            var previous = main.Values[i - 1];
            var value = main.Values[i];
            if (value < previous || (value == previous && !input.KeepDuplicates))
            {
                inversionCount++;
                if (inversions.Count < MaxExamples)
                {
                    inversions.Add($"line {i + 1}: {value} after {previous}");
                }
            }
        }

        if (inversionCount > 0)
        {
            violations.Add(new Violation("order", input.KeepDuplicates ? "the main file is non-decreasing" : "the main file is strictly ascending (each value once)", inversionCount, inversions));
        }

        var inMain = CountOf(main.Values);
        var inLate = CountOf(late.Values);
        var stored = new Dictionary<long, int>(inMain);
        foreach (var (value, count) in inLate)
        {
            stored[value] = stored.GetValueOrDefault(value) + count;
        }

        var acked = ReadRecords(input.Acked);
        var sent = ReadRecords(input.Sent);
        var required = ReadRecords(input.Required);
        foreach (var (value, count) in acked)
        {
            // An acknowledged value was sent, whatever the records say (a record lost with a killed client).
            if (sent.GetValueOrDefault(value) < count)
            {
                sent[value] = count;
            }
        }

        bool Excused(long value) => input.Excused.Any(w => w.Contains(value));
        bool Unrecorded(long value) => input.Unrecorded.Any(w => w.Contains(value));

        // Every acknowledged value (copy) stored; and in order, not in .late.
        var lost = new Tally(input.Origin, "lost-acked", input.KeepDuplicates
            ? "every acknowledged copy is stored (main + .late hold at least as many copies as were acknowledged)"
            : "every acknowledged value is stored (in the main file or .late)");
        var ackedLate = new Tally(input.Origin, "acked-late", "acknowledged values land in order, in the main file: after a restart the write point waits at the file's end for the resends; after a full disk the server resumes in order (found only in .late)");
        foreach (var (value, count) in acked)
        {
            var need = input.KeepDuplicates ? count : 1;
            var have = stored.GetValueOrDefault(value);
            var haveInMain = inMain.GetValueOrDefault(value);
            if (have < need)
            {
                lost.Add(value, need - have, $"{value} (acked {count}, stored {have})");
            }
            else if (haveInMain < need)
            {
                ackedLate.Add(value, need - haveInMain, $"{value} (acked {count}, main {haveInMain}, .late {inLate.GetValueOrDefault(value)})");
            }
        }

        // Plain clients: what was sent outside the windows around server stops must be stored, next to the acknowledged copies.
        var lostPlain = new Tally(input.Origin, "lost-plain", "plain clients: everything the server received is written (values sent outside the windows around server stops and crashes)");
        foreach (var (value, count) in required)
        {
            if (Excused(value))
            {
                continue;
            }

            var need = input.KeepDuplicates ? count + acked.GetValueOrDefault(value) : 1;
            var have = stored.GetValueOrDefault(value);
            if (have < need)
            {
                lostPlain.Add(value, need - have, $"{value} (plain {count}, acked {acked.GetValueOrDefault(value)}, stored {have})");
            }
        }

        // Nothing doubled, nothing invented.
        var doubled = new Tally(input.Origin, "doubled", input.KeepDuplicates
            ? "nothing is doubled: no more copies stored than were sent"
            : "each distinct value is stored once, the main file and .late together");
        var both = new Tally(input.Origin, "main-and-late", "dedupe: no value in both the main file and .late");
        var unsent = new Tally(input.Origin, "unsent", "nothing is stored that no client sent");
        foreach (var (value, have) in stored)
        {
            var wasSent = sent.GetValueOrDefault(value);
            if (wasSent == 0)
            {
                if (!Unrecorded(value))
                {
                    unsent.Add(value, have, $"{value} (stored {have})");
                }

                continue;
            }

            if (!input.KeepDuplicates)
            {
                if (inMain.TryGetValue(value, out var mainCopies) && inLate.TryGetValue(value, out var lateCopies))
                {
                    both.Add(value, 1, $"{value} (main {mainCopies}, .late {lateCopies})");
                }
                else if (have > 1)
                {
                    doubled.Add(value, have - 1, $"{value} (stored {have})");
                }
            }
            else if (have > wasSent && !Unrecorded(value))
            {
                doubled.Add(value, have - wasSent, $"{value} (sent {wasSent}, main {inMain.GetValueOrDefault(value)}, .late {inLate.GetValueOrDefault(value)})");
            }
        }

        foreach (var tally in new[] { lost, ackedLate, lostPlain, doubled, both, unsent })
        {
            if (tally.Count > 0)
            {
                violations.Add(tally.ToViolation());
            }
        }

        return new CheckReport(violations, main.Values.Count + main.Malformed.Count, late.Values.Count + late.Malformed.Count, acked.Values.Sum(c => (long)c), sent.Values.Sum(c => (long)c), required.Values.Sum(c => (long)c));
    }

    private static Dictionary<long, int> CountOf(List<long> values)
    {
        var counts = new Dictionary<long, int>(values.Count);
        foreach (var value in values)
        {
            counts[value] = counts.GetValueOrDefault(value) + 1;
        }

        return counts;
    }

    /// <summary>The multiset union of record files (a record is one value per line, one line per copy).</summary>
    private static Dictionary<long, int> ReadRecords(IReadOnlyList<string> paths)
    {
        var counts = new Dictionary<long, int>();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"record {path} does not exist", path);
            }

            var file = ValueFile.Read(path);
            if (file.Malformed.Count > 0)
            {
                throw new InvalidDataException($"record {path} has a malformed {file.Malformed[0]}");
            }

            foreach (var value in file.Values)
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
            }
        }

        return counts;
    }

    /// <summary>Counts the values that break one promise and keeps the first few, smallest value first.</summary>
    private sealed class Tally(long? origin, string kind, string promise)
    {
        private readonly SortedList<long, string> _examples = [];

        public long Count { get; private set; }

        public void Add(long value, long count, string example)
        {
            Count += count;
            _examples.TryAdd(value, origin is { } start ? string.Create(CultureInfo.InvariantCulture, $"{example} @+{(value - start) / 1000.0:0.0}s") : example);
            if (_examples.Count > MaxExamples)
            {
                _examples.RemoveAt(_examples.Count - 1);
            }
        }

        public Violation ToViolation() => new(kind, promise, Count, [.. _examples.Values]);
    }
}
