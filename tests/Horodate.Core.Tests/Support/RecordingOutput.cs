using Horodate.Core.Ordering;

namespace Horodate.Core.Tests.Support;

/// <summary>Collects what the engine writes, and checks the output contract as it goes.</summary>
internal sealed class RecordingOutput : IOrderedOutput
{
    public List<long> Written { get; } = [];

    public List<long> Late { get; } = [];

    public void Write(long value, int count)
    {
        Assert.True(count >= 1, $"count {count} for {value}");
        if (Written.Count > 0)
        {
            // Strictly increasing, but for one case: with duplicates kept, a late copy of the output's last value follows it.
            Assert.True(value >= Written[^1], $"{value} written after {Written[^1]}: the engine must write increasing values");
        }

        Written.AddRange(Enumerable.Repeat(value, count));
    }

    public void WriteLate(long value) => Late.Add(value);
}
