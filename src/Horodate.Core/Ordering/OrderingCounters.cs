namespace Horodate.Core.Ordering;

/// <summary>A snapshot of what an <see cref="OrderingEngine"/> has seen and done since it was created.</summary>
/// <param name="Received">Values handed to <see cref="OrderingEngine.Ingest(int, ReadOnlySpan{long}, long)"/>.</param>
/// <param name="Written">Values written to the ordered output (each copy counted when duplicates are kept).</param>
/// <param name="Duplicates">Values dropped because the same value was already stored or buffered (dedupe mode).</param>
/// <param name="Late">Values below the write point that were not duplicates: stored through <see cref="IOrderedOutput.WriteLate"/>.</param>
/// <param name="RejectedFuture">Values more than <see cref="OrderingOptions.MaxFutureMs"/> ahead of the clock: not stored.</param>
/// <param name="Resent">Values an acknowledged client sent again (after a reconnect) that this run had already received: dropped.</param>
/// <param name="Forced">Values written before the watermark reached them, because of <see cref="OrderingOptions.MaxDelayMs"/>
/// (or the window bound): a lagging source could still have sent them, and its later copies count as late.</param>
public readonly record struct OrderingCounters(
    long Received,
    long Written,
    long Duplicates,
    long Late,
    long RejectedFuture,
    long Resent,
    long Forced);
