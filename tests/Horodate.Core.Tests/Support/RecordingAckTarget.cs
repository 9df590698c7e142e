using Horodate.Core.Durability;

namespace Horodate.Core.Tests.Support;

/// <summary>Records the acknowledgements the core delivers; can refuse a number of offers (a full socket buffer).</summary>
internal sealed class RecordingAckTarget : IAckTarget
{
    public List<long> Delivered { get; } = [];

    /// <summary>How many offers, ordinary or final, to refuse before taking one.</summary>
    public int Refuse { get; set; }

    /// <summary>The final acknowledgement taken (-1: taken with no line), or null.</summary>
    public long? Final { get; private set; }

    public bool TryDeliver(long value)
    {
        if (Refuse > 0)
        {
            Refuse--;
            return false;
        }

        Delivered.Add(value);
        return true;
    }

    public bool TryDeliverFinal(long value)
    {
        if (Refuse > 0)
        {
            Refuse--;
            return false;
        }

        Final = value;
        return true;
    }
}
