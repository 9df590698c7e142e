using Horodate.Core.Ordering;

namespace Horodate.Core.Tests.Support;

/// <summary>Collects what the engine writes, and checks the output contract as it goes.</summary>
internal sealed class RecordingOutput : IOrderedOutput
{
    /// <summary>The engine keeps duplicates: a late copy of the last value written may follow it (count 1).</summary>
    public bool KeepDuplicates { get; init; }

    public List<long> Written { get; } = [];

    public List<long> Late { get; } = [];

    public void Write(long value, int count)
    {
        Assert.True(count >= 1, $"count {count} for {value}");
        if (Written.Count > 0)
        {
            // Strictly increasing, but for one case: with duplicates kept, a late copy of the output's last value follows it.
            var repeat = KeepDuplicates && count == 1 && value == Written[^1];
            Assert.True(value > Written[^1] || repeat, $"{value} written after {Written[^1]}: the engine must write strictly increasing values");
        }

        Written.AddRange(Enumerable.Repeat(value, count));
    }

    public void WriteLate(long value) => Late.Add(value);
}
