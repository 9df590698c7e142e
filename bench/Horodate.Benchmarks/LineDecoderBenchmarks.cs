using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Horodate.Core.Protocol;

namespace Horodate.Benchmarks;

/// <summary>Lines per second through the wire decoder: a 64 KiB read of 14-byte lines, as the epoll transport sees it.</summary>
[MemoryDiagnoser]
public class LineDecoderBenchmarks
{
    private byte[] _data = [];
    private long[] _values = [];
    private int _lines;

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        var value = 1_732_200_000_000L;
        while (text.Length < 64 * 1024 - 14)
        {
            text.Append(value++).Append('\n');
            _lines++;
        }

        _data = Encoding.ASCII.GetBytes(text.ToString());
        _values = new long[_lines];
    }

    /// <summary>One read's worth of lines; the result is per line.</summary>
    [Benchmark(OperationsPerInvoke = 4681)]
    public int Decode64KiB()
    {
        var decoder = new LineDecoder();
        var buffer = new ReadOnlySequence<byte>(_data);
        return decoder.Decode(ref buffer, _values);
    }
}
