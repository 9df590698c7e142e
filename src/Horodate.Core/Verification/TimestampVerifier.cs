using Horodate.Core.Storage;

namespace Horodate.Core.Verification;

/// <summary>
/// Checks a timestamp file: sorted ascending, optionally free of duplicates, and optionally holding exactly
/// the values of a record (as a set with <c>unique</c>, as a multiset otherwise). Streams a sorted file in
/// constant memory; the record (and an unsorted file) is loaded and sorted.
/// </summary>
public static class TimestampVerifier
{
    private const int Samples = 5;

    /// <summary>Verifies <paramref name="path"/>, against <paramref name="recordPath"/> when given.</summary>
    public static VerifyReport Verify(string path, bool unique, string? recordPath)
    {
        var reader = new TimestampReader(path);
        long values = 0, distinct = 0, inversions = 0, duplicates = 0, line = 0;
        long? min = null, max = null;
        (long, long, long)? firstInversion = null;
        long previous = long.MinValue;
        var gaps = new List<(long From, long To)>();
        var perSecond = new List<(long Second, int Values, long MaxGapMs)>();
        foreach (var value in reader.ReadAll())
        {
            line++;
            values++;
            if (value >= previous)
            {
                CountSecond(perSecond, value, previous == long.MinValue ? 0 : value - previous);
                if (previous != long.MinValue && value - previous > 1)
                {
                    KeepLargest(gaps, (previous, value));
                }
            }

            if (value < previous)
            {
                inversions++;
                firstInversion ??= (line, value, previous);
            }
            else if (value == previous)
            {
                duplicates++;
            }
            else
            {
                distinct++;
            }

            min = min is null ? value : Math.Min(min.Value, value);
            max = max is null ? value : Math.Max(max.Value, value);
            previous = value;
        }

        var report = new VerifyReport
        {
            Values = values,
            Distinct = distinct,
            Min = min,
            Max = max,
            Inversions = inversions,
            Duplicates = duplicates,
            MalformedLines = reader.MalformedLines,
            TornTail = reader.TornTail,
            RequireUnique = unique,
            FirstInversion = firstInversion,
            LargestGaps = gaps,
            PerSecond = perSecond,
        };
        return recordPath is null ? report : Compare(report, path, recordPath, unique, sortedFile: inversions == 0);
    }

    private static VerifyReport Compare(VerifyReport report, string path, string recordPath, bool unique, bool sortedFile)
    {
        var recordReader = new TimestampReader(recordPath);
        var record = recordReader.ReadAll().ToArray();
        Array.Sort(record);
        IEnumerable<long> expected = record;
        var actual = sortedFile ? new TimestampReader(path).ReadAll() : SortedCopy(path);
        if (unique)
        {
            expected = Distinct(expected);
            actual = Distinct(actual);
        }

        long missing = 0, unexpected = 0;
        var missingSamples = new List<long>();
        var unexpectedSamples = new List<long>();
        using var e = expected.GetEnumerator();
        using var a = actual.GetEnumerator();
        var hasE = e.MoveNext();
        var hasA = a.MoveNext();
        while (hasE || hasA)
        {
            if (hasE && (!hasA || e.Current < a.Current))
            {
                missing++;
                AddSample(missingSamples, e.Current);
                hasE = e.MoveNext();
            }
            else if (hasA && (!hasE || a.Current < e.Current))
            {
                unexpected++;
                AddSample(unexpectedSamples, a.Current);
                hasA = a.MoveNext();
            }
            else
            {
                hasE = e.MoveNext();
                hasA = a.MoveNext();
            }
        }

        return report with
        {
            Expected = record.LongLength,
            Missing = missing,
            Unexpected = unexpected,
            MissingSamples = missingSamples,
            UnexpectedSamples = unexpectedSamples,
            MalformedLines = report.MalformedLines + recordReader.MalformedLines,
        };
    }

    private const int GapsKept = 5;

    /// <summary>Per-second bins in file order; at most 10 million of them (115 days), the rest is not binned.</summary>
    private static void CountSecond(List<(long Second, int Values, long MaxGapMs)> bins, long value, long gap)
    {
        var second = value / 1000;
        if (bins.Count > 0 && bins[^1].Second == second)
        {
            var last = bins[^1];
            bins[^1] = (second, last.Values + 1, Math.Max(last.MaxGapMs, gap));
        }
        else if (bins.Count < 10_000_000)
        {
            bins.Add((second, 1, gap));
        }
    }

    private static void KeepLargest(List<(long From, long To)> gaps, (long From, long To) gap)
    {
        if (gaps.Count == GapsKept && gap.To - gap.From <= gaps[^1].To - gaps[^1].From)
        {
            return;
        }

        gaps.Add(gap);
        gaps.Sort((a, b) => (b.To - b.From).CompareTo(a.To - a.From));
        if (gaps.Count > GapsKept)
        {
            gaps.RemoveAt(GapsKept);
        }
    }

    private static void AddSample(List<long> samples, long value)
    {
        if (samples.Count < Samples)
        {
            samples.Add(value);
        }
    }

    private static long[] SortedCopy(string path)
    {
        var values = new TimestampReader(path).ReadAll().ToArray();
        Array.Sort(values);
        return values;
    }

    private static IEnumerable<long> Distinct(IEnumerable<long> sorted)
    {
        var first = true;
        long previous = 0;
        foreach (var value in sorted)
        {
            if (first || value != previous)
            {
                yield return value;
            }

            first = false;
            previous = value;
        }
    }
}
