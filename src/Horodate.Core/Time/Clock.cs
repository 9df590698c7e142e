namespace Horodate.Core.Time;

/// <summary>Reads wall-clock time as Unix milliseconds, the unit of the protocol.</summary>
public static class Clock
{
    /// <summary>Now, in milliseconds since 1970-01-01T00:00:00Z.</summary>
    public static long UnixMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
