namespace Horodate.Client.Load;

/// <summary>
/// What one scheduler's connections sent and skipped: written by that scheduler's thread only (through its
/// connections), read from any thread for the status line and the summary.
/// </summary>
internal sealed class SendTally
{
    private long _sent;
    private long _skippedDown;
    private long _skippedBusy;
    private long _resent;
    private long _skippedClock;

    /// <summary>Every value sent, once.</summary>
    public SentRecord Record { get; } = new();

    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Sends skipped because the connection was down after having been up (reconnecting).</summary>
    public long SkippedDown => Volatile.Read(ref _skippedDown);

    /// <summary>Sends skipped because the socket buffer was full: the server is not reading.</summary>
    public long SkippedBusy => Volatile.Read(ref _skippedBusy);

    /// <summary>Values sent again after a reconnect because they were not acknowledged.</summary>
    public long Resent => Volatile.Read(ref _resent);

    /// <summary>Sends skipped because the clock had not moved past the connection's last value.</summary>
    public long SkippedClock => Volatile.Read(ref _skippedClock);

    /// <summary>The kernel took the whole line of <paramref name="value"/>, a new one.</summary>
    public void CountSent(long value)
    {
        Record.Add(value);
        Volatile.Write(ref _sent, _sent + 1);
    }

    public void CountSkippedDown() => Volatile.Write(ref _skippedDown, _skippedDown + 1);

    public void CountSkippedBusy() => Volatile.Write(ref _skippedBusy, _skippedBusy + 1);

    public void CountResent() => Volatile.Write(ref _resent, _resent + 1);

    public void CountSkippedClock() => Volatile.Write(ref _skippedClock, _skippedClock + 1);
}
