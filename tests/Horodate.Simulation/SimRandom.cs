namespace Horodate.Simulation;

/// <summary>A small, fast, seeded generator (xorshift64*): the whole schedule follows from the seed.</summary>
internal sealed class SimRandom(ulong seed)
{
    private ulong _state = (seed * 0x9E3779B97F4A7C15UL) | 1;

    public ulong NextULong()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>A value in [0, max).</summary>
    public int Next(int max) => max <= 0 ? 0 : (int)(NextULong() % (ulong)max);

    /// <summary>True with probability <paramref name="perMille"/>/1000.</summary>
    public bool Chance(int perMille) => Next(1000) < perMille;
}
