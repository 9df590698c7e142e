using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>What the durable path reports: logs and metrics in production, nothing (or a record) in the simulator.</summary>
public interface IIngestEvents
{
    /// <summary>The output file was opened; <paramref name="found"/> says what was in it.</summary>
    void Opened(string path, ResumeInfo found);

    /// <summary>A crash left bytes past the journal's last record, with acknowledged clients connected: they were cut.</summary>
    void CutToJournal(string path, long mainBytes, long lateBytes);

    /// <summary>A write or sync failed (retried; nothing is acknowledged meanwhile).</summary>
    void WriteFailed(string path, string message);

    /// <summary>
    /// An fsync of <paramref name="path"/> failed: fatal. Nothing is acknowledged any more (a later fsync could succeed
    /// without the data this one failed to write); the server must stop, and the clients resend after its restart.
    /// </summary>
    void SyncFailed(string path, string message);

    /// <summary>Writes work again after failing.</summary>
    void WriteRecovered(string path, long bytes);

    /// <summary><paramref name="count"/> late values went to <paramref name="path"/>.</summary>
    void LateWritten(long count, string path);

    /// <summary><paramref name="count"/> more values were rejected as too far in the future.</summary>
    void FutureRejected(long count);

    /// <summary>A write of ordered lines took from <paramref name="startedTimestamp"/> (a <see cref="TimeProvider"/> timestamp) until now.</summary>
    void Wrote(long startedTimestamp);

    /// <summary>A sync took from <paramref name="startedTimestamp"/> until now.</summary>
    void Synced(long startedTimestamp);
}
