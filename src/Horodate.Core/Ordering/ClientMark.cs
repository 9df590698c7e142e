namespace Horodate.Core.Ordering;

/// <summary>
/// How far the values of one named (acknowledged) client are taken: every value below <paramref name="Through"/>,
/// and the first <paramref name="Copies"/> copies of <paramref name="Through"/> itself (<see cref="AllCopies"/>:
/// every copy). A client that reconnects resends, in order, what it had not had acknowledged; those of its values
/// that a mark covers are resends, recognised and dropped. Counting copies keeps a value sent twice on purpose
/// stored twice (keep-duplicates mode). Exact for clients whose values never decrease on a connection (the
/// protocol's acknowledged clients, <c>horodate-client</c> among them, send ascending values).
/// </summary>
public readonly record struct ClientMark(long Through, long Copies)
{
    /// <summary>Every copy of <see cref="Through"/>: the client had moved past it, so it sent no more of it.</summary>
    public const long AllCopies = long.MaxValue;

    /// <summary>Nothing taken yet.</summary>
    public static ClientMark None => new(-1, AllCopies);

    /// <summary>The higher of two marks (by value, then by copies).</summary>
    public static ClientMark Max(ClientMark a, ClientMark b) =>
        a.Through != b.Through ? (a.Through > b.Through ? a : b) : (a.Copies >= b.Copies ? a : b);

    /// <summary>Whether <paramref name="value"/>, the next value on a connection still resending, is covered by this mark.</summary>
    public bool Covers(long value, long copiesSeen) => value < Through || (value == Through && copiesSeen < Copies);
}
