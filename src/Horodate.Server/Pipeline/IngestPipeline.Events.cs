using System.Diagnostics;
using Horodate.Core.Diagnostics;
using Horodate.Core.Durability;
using Horodate.Core.Storage;
using Horodate.Server.Logging;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Pipeline;

internal sealed partial class IngestPipeline
{
    /// <summary>The core's reports, as logs (rate-limited) and metrics.</summary>
    private sealed class Events(ILogger logger, TimeProvider time, long maxFutureMs, PipelineTimings? timings) : IIngestEvents
    {
        private readonly RateLimiter _writeErrorLog = new(TimeSpan.FromSeconds(5));
        private readonly RateLimiter _lateLog = new(TimeSpan.FromSeconds(5));
        private readonly RateLimiter _futureLog = new(TimeSpan.FromSeconds(5));
        private long _unreportedFuture;

        /// <summary>Completes, with why, when an fsync failed: the server must stop.</summary>
        public TaskCompletionSource<string> Failure { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Opened(string path, ResumeInfo found)
        {
            if (found.TruncatedBytes > 0)
            {
                ServerLog.TornLineCut(logger, path, found.TruncatedBytes, found.LastValue);
            }

            if (found.LastValue is { } last)
            {
                ServerLog.Resuming(logger, path, last, found.Length);
            }
        }

        public void CutToJournal(string path, long mainBytes, long lateBytes) => ServerLog.CutToJournal(logger, path, mainBytes, lateBytes);

        public void WriteFailed(string path, string message)
        {
            if (_writeErrorLog.TryAcquire(out _))
            {
                ServerLog.WriteFailed(logger, path, message);
            }
        }

        public void SyncFailed(string path, string message)
        {
            ServerLog.SyncFailed(logger, path, message);
            _ = Failure.TrySetResult($"fsync of {path} failed: {message}");
        }

        public void WriteRecovered(string path, long bytes) => ServerLog.WriteRecovered(logger, path, bytes);

        public void LateWritten(long count, string path)
        {
            if (_lateLog.TryAcquire(out var suppressed))
            {
                ServerLog.LateValues(logger, count, path, suppressed);
            }
        }

        public void FutureRejected(long count)
        {
            _unreportedFuture += count;
            if (_futureLog.TryAcquire(out var suppressed))
            {
                ServerLog.FutureValues(logger, _unreportedFuture, maxFutureMs, suppressed);
                _unreportedFuture = 0;
            }
        }

        public void Wrote(long startedTimestamp) => timings?.RecordWrite(StopwatchStart(startedTimestamp));

        public void Synced(long startedTimestamp) => timings?.RecordSync(StopwatchStart(startedTimestamp));

        /// <summary>The same instant as a <see cref="Stopwatch"/> timestamp, which the metrics measure from.</summary>
        private long StopwatchStart(long started) =>
            Stopwatch.GetTimestamp() - (long)(time.GetElapsedTime(started).TotalSeconds * Stopwatch.Frequency);
    }
}
