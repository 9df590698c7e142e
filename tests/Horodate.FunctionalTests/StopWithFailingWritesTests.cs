using System.Diagnostics;
using Horodate.Core.Durability;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Horodate.Server.Sessions;

namespace Horodate.FunctionalTests;

/// <summary>
/// A graceful stop while the output cannot be written (a full disk; an edge whose nats-server is down, where one
/// write waits out a publish timeout): the stop is bounded in time, whatever one attempt costs, and says what it left.
/// </summary>
public sealed class StopWithFailingWritesTests
{
    /// <summary>One write attempt's cost: an edge's publish timeout, scaled down.</summary>
    private static readonly TimeSpan SlowFailure = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_stop_whose_writes_keep_failing_slowly_ends_within_the_final_write_bound_and_logs_the_bytes_it_left()
    {
        using var dir = new TempDirectory();
        var output = dir.File("out.txt");
        using var logs = new CapturingLoggerProvider();
        var files = new SlowlyFailingOutput(output, SlowFailure) { Failing = true };
        using var pipeline = IngestPipeline.Open(new ServerOptions { Output = output }, TimeProvider.System, logs.CreateLogger("test"), files);
        pipeline.Start();

        var source = pipeline.OpenSource();
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        pipeline.Ingest(source, [now, now + 1, now + 2]);
        pipeline.CloseSource(source);

        // Before: the final write was tried 50 times whatever each took (here ~55 s; an edge with nats-server down ~4 min).
        // Bound: the first attempt's cost may start just before FinalWriteMax ends, plus the one under way at the stop.
        var bound = StopLimits.FinalWriteMax + (3 * SlowFailure) + TimeSpan.FromSeconds(2);
        var stopped = Stopwatch.StartNew();
        await Task.Run(pipeline.Stop, TestContext.Current.CancellationToken).WaitAsync(bound + TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.True(stopped.Elapsed < bound, $"the stop took {stopped.Elapsed.TotalSeconds:0.0} s (bound {bound.TotalSeconds:0.0} s)");

        var left = Assert.Single(logs.Messages, m => m.Id.Id == 211);
        Assert.Contains("bytes not written to " + output, left.Message, StringComparison.Ordinal);
        Assert.True(files.Attempts >= 2, $"{files.Attempts} write attempts: a failing write is retried at the stop");
    }

    /// <summary>The disk, except that while <see cref="Failing"/> every write to the output takes a while and then fails.</summary>
    private sealed class SlowlyFailingOutput(string output, TimeSpan cost) : IFileSystem
    {
        private readonly TimeSpan _cost = cost;
        private int _attempts;

        public volatile bool Failing;

        public int Attempts => Volatile.Read(ref _attempts);

        public bool Exists(string path) => PhysicalFileSystem.Instance.Exists(path);

        public IStorageFile Open(string path, bool truncate = false)
        {
            var file = PhysicalFileSystem.Instance.Open(path, truncate);
            return path == output ? new Output(file, this) : file;
        }

        public void Rename(string source, string destination) => PhysicalFileSystem.Instance.Rename(source, destination);

        public void SyncDirectory(string path) => PhysicalFileSystem.Instance.SyncDirectory(path);

        private sealed class Output(IStorageFile file, SlowlyFailingOutput owner) : IStorageFile
        {
            public long Length => file.Length;

            public void Write(long offset, ReadOnlySpan<byte> bytes)
            {
                if (owner.Failing)
                {
                    Interlocked.Increment(ref owner._attempts);
                    Thread.Sleep(owner._cost); // what one attempt costs, not a synchronisation
                    throw new IOException("no answer (simulated publish timeout)");
                }

                file.Write(offset, bytes);
            }

            public int Read(long offset, Span<byte> buffer) => file.Read(offset, buffer);

            public void SetLength(long length) => file.SetLength(length);

            public void Sync() => file.Sync();

            public void Dispose() => file.Dispose();
        }
    }
}
