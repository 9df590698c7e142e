using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;
using Horodate.Core.Storage;

namespace Horodate.Simulation;

/// <summary>Reports nowhere.</summary>
internal sealed class NullEvents : IIngestEvents
{
    public static NullEvents Instance { get; } = new();

    public void Opened(string path, ResumeInfo found)
    {
    }

    public void CutToJournal(string path, long mainBytes, long lateBytes)
    {
    }

    public void WriteFailed(string path, string message)
    {
    }

    public void SyncFailed(string path, string message)
    {
    }

    public void WriteRecovered(string path, long bytes)
    {
    }

    public void LateWritten(long count, string path)
    {
    }

    public void FutureRejected(long count)
    {
    }

    public void Wrote(long startedTimestamp)
    {
    }

    public void Synced(long startedTimestamp)
    {
    }
}
