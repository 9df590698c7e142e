using BenchmarkDotNet.Attributes;
using Horodate.Core.Storage;

namespace Horodate.Benchmarks;

/// <summary>The write side: formatting ordered values into lines, and appending batches to a real file.</summary>
[MemoryDiagnoser]
public class OutputBenchmarks
{
    private const int Values = 100_000;
    private readonly OutputBatch _batch = new(2 * 1024 * 1024);
    private string _path = "";
    private TimestampFile? _file;

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"horodate-bench-{Environment.ProcessId}.txt");
        File.Delete(_path);
        _file = TimestampFile.Open(_path, sorted: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _file?.Dispose();
        File.Delete(_path);
    }

    /// <summary>Formatting alone: per value.</summary>
    [Benchmark(OperationsPerInvoke = Values)]
    public int FormatLines()
    {
        _batch.Reset();
        _batch.NowMs = 1_732_200_100_000;
        for (var i = 0; i < Values; i++)
        {
            _batch.Write(1_732_200_000_000 + i, 1);
        }

        return _batch.OrderedLength;
    }

    /// <summary>Formatting and one append of the batch (1.4 MB) to the file: per value.</summary>
    [Benchmark(OperationsPerInvoke = Values)]
    public long FormatAndAppend()
    {
        FormatLines();
        _file!.Append(_batch.Ordered);
        return _file.Length;
    }
}
