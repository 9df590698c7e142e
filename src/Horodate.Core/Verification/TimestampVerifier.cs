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
        foreach (var value in reader.ReadAll())
        {
            line++;
            values++;
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
