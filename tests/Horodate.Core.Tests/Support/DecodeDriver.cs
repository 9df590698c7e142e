using System.Buffers;
using System.Text;
using Horodate.Core.Protocol;

namespace Horodate.Core.Tests.Support;

/// <summary>
/// Drives a <see cref="LineDecoder"/> the way the server's read loop does: bytes arrive in chunks, what is
/// not consumed stays in front of the next chunk (as its own segment), and the end of the stream comes last.
/// </summary>
internal sealed class DecodeDriver
{
    public LineDecoder Decoder { get; } = new();

    public List<long> Values { get; } = [];

    public bool Closed { get; private set; }

    private byte[] _leftover = [];

    public static DecodeDriver Run(string text, params int[] cuts) => Run(Encoding.ASCII.GetBytes(text), cuts);

    public static DecodeDriver Run(byte[] data, params int[] cuts)
    {
        var driver = new DecodeDriver();
        var start = 0;
        foreach (var cut in cuts.Append(data.Length))
        {
            if (driver.Closed)
            {
                break;
            }

            driver.Feed(data.AsSpan(start, cut - start).ToArray());
            start = cut;
        }

        driver.Complete();
        return driver;
    }

    public void Feed(byte[] chunk)
    {
        var buffer = _leftover.Length == 0 ? Sequences.Of(chunk) : Sequences.Of(_leftover, chunk);
        Span<long> values = stackalloc long[4]; // small on purpose: exercises the "values full" path
        while (true)
        {
            var n = Decoder.Decode(ref buffer, values);
            Values.AddRange(values[..n].ToArray());
            if (n < values.Length || Decoder.ShouldClose)
            {
                break;
            }
        }

        Closed = Decoder.ShouldClose;
        _leftover = buffer.ToArray();
    }

    public void Complete()
    {
        if (!Closed)
        {
            Decoder.Complete(new ReadOnlySequence<byte>(_leftover));
        }
    }
}
