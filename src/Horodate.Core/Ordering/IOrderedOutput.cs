namespace Horodate.Core.Ordering;

/// <summary>Where the <see cref="OrderingEngine"/> puts what it decided. Called under the engine's caller's lock.</summary>
public interface IOrderedOutput
{
    /// <summary>
    /// Appends <paramref name="value"/> to the ordered output, <paramref name="count"/> times (more than once
    /// only when duplicates are kept). Successive calls have strictly increasing values, over the engine's life, but
    /// for one case: when duplicates are kept, a copy of the last value written that arrives late follows it (a call
    /// with the previous call's value, the output still ascending).
    /// </summary>
    void Write(long value, int count);

    /// <summary>Stores a late value (below what was already written) that is not a known duplicate. Any order.</summary>
    void WriteLate(long value);
}
