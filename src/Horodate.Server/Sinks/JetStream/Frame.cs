using System.Globalization;
using NATS.Client.Core;

namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// One frame an edge publishes: the lines its output (or its <c>.late</c>) gained at one flush, in the file's own
/// line format (a value once per stored copy, ascending in an output frame), with headers naming the edge, the
/// kind and the frame number. <c>Nats-Msg-Id</c> is <c>&lt;edge&gt;-&lt;incarnation&gt;-&lt;frame&gt;</c>: the
/// incarnation (the edge's start, Unix ms × 10⁶ plus a random salt: <see cref="FrameSequence.Incarnation"/>) keeps a restarted edge's frame 1 from being dropped as a duplicate of
/// its previous life's frame 1 within JetStream's duplicate window.
/// </summary>
internal static class Frame
{
    /// <summary>Header: the edge that published the frame.</summary>
    public const string EdgeHeader = "Horodate-Edge";

    /// <summary>Header: <see cref="Ordered"/> or <see cref="Late"/>.</summary>
    public const string KindHeader = "Horodate-Kind";

    /// <summary>Header: the frame's number within the edge's incarnation (from 1, every kind of frame in one sequence).</summary>
    public const string NumberHeader = "Horodate-Frame";

    /// <summary>Header: the edge's incarnation (<see cref="FrameSequence.Incarnation"/>), which its frame numbers count within.</summary>
    public const string IncarnationHeader = "Horodate-Incarnation";

    /// <summary>
    /// Header: the edge's life number (<see cref="FrameSequence.Life"/>), which only grows from one life of the edge to
    /// the next: the root orders an edge's lives by it (a frame of an older life is behind), not by the stream's order.
    /// </summary>
    public const string LifeHeader = "Horodate-Life";

    /// <summary>
    /// The kinds of frame: values final at the edge, in ascending order; values late at the edge; an empty frame saying
    /// the edge has no connection left and everything it received is published (it stops holding the root); and an
    /// empty frame saying the edge has connections again (the root holds its output for this edge from then on, before
    /// the edge's first values arrive).
    /// </summary>
    public const string Ordered = "ordered", Late = "late", Idle = "idle", Active = "active";

    /// <summary>The headers of frame <paramref name="number"/> of kind <paramref name="kind"/>.</summary>
    public static NatsHeaders Headers(string edge, string kind, long life, long incarnation, long number) => new()
    {
        [EdgeHeader] = edge,
        [KindHeader] = kind,
        [LifeHeader] = life.ToString(CultureInfo.InvariantCulture),
        [IncarnationHeader] = incarnation.ToString(CultureInfo.InvariantCulture),
        [NumberHeader] = number.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A numeric header's value; 0 when absent or not a number (a frame from before the header existed).</summary>
    public static long Number(NatsHeaders? headers, string header) =>
        headers is not null && headers.TryGetValue(header, out var text)
            && long.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>A numeric header's value in a message's raw headers (<c>NATS/1.0</c> then <c>Name: value</c> lines); 0 when absent.</summary>
    public static long Number(string rawHeaders, string header)
    {
        foreach (var line in rawHeaders.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(header, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
        }

        return 0;
    }

    /// <summary>The values of a frame's payload (newline-terminated decimal lines); a malformed line ends it.</summary>
    public static long[] Values(ReadOnlySpan<byte> payload)
    {
        var values = new List<long>(payload.Length / 14); // 13-digit milliseconds and a newline
        long value = 0;
        var digits = 0;
        foreach (var b in payload)
        {
            if (b == (byte)'\n')
            {
                if (digits > 0)
                {
                    values.Add(value);
                }

                value = 0;
                digits = 0;
            }
            else if (b is >= (byte)'0' and <= (byte)'9' && digits < 18)
            {
                value = (value * 10) + (b - '0');
                digits++;
            }
            else
            {
                throw new InvalidDataException("A frame holds something other than timestamp lines.");
            }
        }

        return [.. values];
    }
}
