namespace Horodate.Core.Verification;

/// <summary>What <see cref="TimestampVerifier"/> found.</summary>
public sealed record VerifyReport
{
    /// <summary>Values in the file.</summary>
    public long Values { get; init; }

    /// <summary>Distinct values in the file.</summary>
    public long Distinct { get; init; }

    /// <summary>The smallest value, or <see langword="null"/> for an empty file.</summary>
    public long? Min { get; init; }

    /// <summary>The largest value, or <see langword="null"/> for an empty file.</summary>
    public long? Max { get; init; }

    /// <summary>Places where a value is smaller than the one before it.</summary>
    public long Inversions { get; init; }

    /// <summary>Values equal to the one before them.</summary>
    public long Duplicates { get; init; }

    /// <summary>Lines that are not values.</summary>
    public long MalformedLines { get; init; }

    /// <summary>The file does not end with a newline.</summary>
    public bool TornTail { get; init; }

    /// <summary>Whether duplicates count as a failure.</summary>
    public bool RequireUnique { get; init; }

    /// <summary>Values in the record, when one was given.</summary>
    public long? Expected { get; init; }

    /// <summary>Values of the record that the file lacks (each missing copy counted unless <see cref="RequireUnique"/>).</summary>
    public long Missing { get; init; }

    /// <summary>Values of the file that the record lacks.</summary>
    public long Unexpected { get; init; }

    /// <summary>A few missing values, for the report.</summary>
    public IReadOnlyList<long> MissingSamples { get; init; } = [];

    /// <summary>A few unexpected values, for the report.</summary>
    public IReadOnlyList<long> UnexpectedSamples { get; init; } = [];

    /// <summary>The first inversion, as (line, value, previous), or <see langword="null"/>.</summary>
    public (long Line, long Value, long Previous)? FirstInversion { get; init; }

    /// <summary>The largest holes in the timeline (from, to: consecutive values), largest first, at most five.</summary>
    public IReadOnlyList<(long From, long To)> LargestGaps { get; init; } = [];

    /// <summary>Per second of the timeline (Unix seconds): how many values, and the largest gap ending in it (ms).</summary>
    public IReadOnlyList<(long Second, int Values, long MaxGapMs)> PerSecond { get; init; } = [];

    /// <summary>Values per second over the file's span (0 for fewer than two values).</summary>
    public double ValuesPerSecond => Min is { } min && Max is { } max && max > min ? Values * 1000.0 / (max - min) : 0;

    /// <summary>The busiest second's count.</summary>
    public int PeakPerSecond => PerSecond.Count == 0 ? 0 : PerSecond.Max(p => p.Values);

    /// <summary>True when every check passed.</summary>
    public bool Passed =>
        Inversions == 0 && MalformedLines == 0 && !TornTail && (!RequireUnique || Duplicates == 0) && Missing == 0 && Unexpected == 0;
}
