using BenchmarkDotNet.Attributes;
using Horodate.Core.Ordering;

namespace Horodate.Benchmarks;

/// <summary>
/// Values per second through the ordering engine: 5,000 sources, each sending the clock every 50 ms
/// (spread or aligned), ingested in batches as the transport hands them over, advanced every 10 ms.
/// </summary>
[MemoryDiagnoser]
public class OrderingEngineBenchmarks
{
    private const int Sources = 5_000;
    private const int Ticks = 1_000; // one second of traffic: 100,000 values
    private const int ValuesPerRun = Sources * Ticks / 50;

    [Params(true, false)]
    public bool Aligned { get; set; }

    [Params(true, false)]
    public bool Dedupe { get; set; }

    private int[][] _batchSources = [];
    private OrderingEngine _engine = null!;
    private CountingOutput _output = null!;
    private int[] _handles = [];
    private long _t = 1_732_200_000_000;

    [GlobalSetup]
    public void Setup()
    {
        // Pre-compute one second: for each millisecond, which sources send.
        _batchSources = Enumerable.Range(0, Ticks)
            .Select(ms => Enumerable.Range(0, Sources).Where(s => (Aligned ? 0 : s * 50 / Sources) == ms % 50).ToArray())
            .ToArray();

        // One long-lived engine, as in the server: the benchmark measures its steady state.
        _output = new CountingOutput();
        _engine = new OrderingEngine(new OrderingOptions { Dedupe = Dedupe }, _output, null, _t);
        _handles = Enumerable.Range(0, Sources).Select(_ => _engine.OpenSource(_t)).ToArray();
    }

    [Benchmark(OperationsPerInvoke = ValuesPerRun)]
    public long OneSecondOfTraffic()
    {
        Span<long> one = stackalloc long[1];
        for (var ms = 0; ms < Ticks; ms++)
        {
            var now = _t + ms;
            var senders = _batchSources[ms];
            for (var i = 0; i < senders.Length; i++)
            {
                one[0] = now;
                _engine.Ingest(_handles[senders[i]], one, now);
            }

            if (ms % 10 == 9)
            {
                _engine.Advance(now);
            }
        }

        _t += Ticks;
        return _output.Count;
    }

    private sealed class CountingOutput : IOrderedOutput
    {
        public long Count;

        public void Write(long value, int count) => Count += count;

        public void WriteLate(long value) => Count++;
    }
}
