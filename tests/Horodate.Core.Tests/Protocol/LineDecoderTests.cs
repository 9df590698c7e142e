using System.Text;
using Horodate.Core.Protocol;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Protocol;

public sealed class LineDecoderTests
{
    private const string Stream = "1732200000000\n1732200000050\r\n\n17\n\r\n0\n999999999999999999\n";
    private static readonly long[] StreamValues = [1732200000000, 1732200000050, 17, 0, 999999999999999999];

    [Fact]
    public void Decodes_values_and_ignores_empty_lines_and_carriage_returns()
    {
        var driver = DecodeDriver.Run(Stream);

        Assert.Equal(StreamValues, driver.Values);
        Assert.Equal(0, driver.Decoder.RejectedLines);
    }

    [Fact]
    public void Gives_the_same_values_whatever_byte_the_reads_are_split_at()
    {
        for (var cut = 0; cut <= Stream.Length; cut++)
        {
            var driver = DecodeDriver.Run(Stream, cut);
            Assert.Equal(StreamValues, driver.Values);
            Assert.Equal(0, driver.Decoder.RejectedLines);
        }
    }

    [Fact]
    public void Gives_the_same_values_when_every_byte_arrives_alone()
    {
        var driver = DecodeDriver.Run(Stream, Enumerable.Range(1, Stream.Length - 1).ToArray());

        Assert.Equal(StreamValues, driver.Values);
    }

    [Theory]
    [InlineData("-5", LineStatus.NotANumber)]
    [InlineData("+5", LineStatus.NotANumber)]
    [InlineData("12 34", LineStatus.NotANumber)]
    [InlineData(" 1", LineStatus.NotANumber)]
    [InlineData("1.5", LineStatus.NotANumber)]
    [InlineData("abc", LineStatus.NotANumber)]
    [InlineData("1\r\r", LineStatus.NotANumber)]
    [InlineData("1234567890123456789", LineStatus.TooManyDigits)]
    [InlineData("99999999999999999999999", LineStatus.TooManyDigits)]
    public void Rejects_a_line_that_is_not_a_value(string line, LineStatus expected)
    {
        var driver = DecodeDriver.Run($"1\n{line}\n2\n");

        Assert.Equal([1L, 2L], driver.Values);
        Assert.Equal(1, driver.Decoder.RejectedLines);
        Assert.Equal(expected, driver.Decoder.LastReject);
    }

    [Fact]
    public void Discards_an_overlong_line_whole_and_never_splits_it_into_values()
    {
        var digits = new string('7', 200);
        for (var cut = 0; cut < 210; cut += 7)
        {
            var driver = DecodeDriver.Run($"1\n{digits}\n2\n", cut);

            Assert.Equal([1L, 2L], driver.Values);
            Assert.Equal(1, driver.Decoder.RejectedLines);
            Assert.Equal(LineStatus.TooLong, driver.Decoder.LastReject);
        }
    }

    [Fact]
    public void Accepts_a_line_of_exactly_the_maximum_length_but_not_one_more()
    {
        var atLimit = new string('0', LineDecoder.MaxLineLength - 2) + "42"; // 64 bytes of digits: too many digits, not too long
        var overLimit = atLimit + "0";

        Assert.Equal(LineStatus.TooManyDigits, DecodeDriver.Run(atLimit + "\n").Decoder.LastReject);
        Assert.Equal(LineStatus.TooLong, DecodeDriver.Run(overLimit + "\n").Decoder.LastReject);
    }

    [Fact]
    public void Never_takes_a_partial_last_line_as_a_value_when_the_connection_closes()
    {
        var driver = DecodeDriver.Run("1732200000000\n17322000");

        Assert.Equal([1732200000000L], driver.Values);
        Assert.Equal(1, driver.Decoder.RejectedLines);
        Assert.Equal(LineStatus.Truncated, driver.Decoder.LastReject);
    }

    [Fact]
    public void Asks_to_close_after_a_run_of_bad_lines_but_not_when_good_lines_break_the_run()
    {
        var almost = string.Concat(Enumerable.Repeat("x\n", LineDecoder.MaxConsecutiveRejects - 1)) + "5\n";
        var mixed = DecodeDriver.Run(almost + almost);
        Assert.False(mixed.Closed);
        Assert.Equal([5L, 5L], mixed.Values);

        var flood = DecodeDriver.Run(string.Concat(Enumerable.Repeat("x\n", LineDecoder.MaxConsecutiveRejects)) + "5\n");
        Assert.True(flood.Closed);
        Assert.Empty(flood.Values);
    }

    [Fact]
    public void Asks_to_close_after_too_many_bytes_without_a_newline()
    {
        var noNewline = Encoding.ASCII.GetBytes(new string('9', LineDecoder.MaxBytesWithoutNewline + 100));
        var cuts = Enumerable.Range(1, noNewline.Length / 500).Select(i => i * 500).ToArray();

        var driver = DecodeDriver.Run(noNewline, cuts);

        Assert.True(driver.Closed);
        Assert.Empty(driver.Values);
    }

    [Theory]
    [InlineData("HELLO horodate/1 ack\n", true, null)]
    [InlineData("HELLO horodate/1 ack id=run-1.42\r\n", true, "run-1.42")]
    [InlineData("HELLO horodate/1 ack id=\n", false, null)]
    [InlineData("HELLO horodate/1 ack id=bad id\n", false, null)]
    [InlineData("HELLO horodate/2 ack\n", false, null)]
    public void Recognises_the_hello_of_the_acknowledged_mode_as_the_first_line(string hello, bool recognised, string? id)
    {
        var driver = DecodeDriver.Run(hello + "17\n");

        Assert.Equal(recognised, driver.Decoder.AckRequested);
        Assert.Equal(id, driver.Decoder.ClientId);
        Assert.Equal(recognised ? 0 : 1, driver.Decoder.RejectedLines);
        Assert.Equal([17L], driver.Values);
    }

    [Fact]
    public void A_hello_after_the_first_line_is_just_a_bad_line()
    {
        var driver = DecodeDriver.Run("17\nHELLO horodate/1 ack\n");

        Assert.False(driver.Decoder.AckRequested);
        Assert.Equal(1, driver.Decoder.RejectedLines);
    }

    [Fact]
    public void Fuzz_100000_random_inputs_never_throw_and_only_yield_values_of_valid_lines()
    {
        var random = new Random(1234);
        for (var round = 0; round < 100_000; round++)
        {
            var data = new byte[random.Next(0, 300)];
            for (var i = 0; i < data.Length; i++)
            {
                // Mostly digits and newlines, so that valid lines do occur among the garbage.
                data[i] = random.Next(4) switch
                {
                    0 => (byte)'\n',
                    1 => (byte)random.Next(256),
                    _ => (byte)('0' + random.Next(10)),
                };
            }

            var cuts = Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(0, data.Length + 1)).Order().ToArray();
            var driver = DecodeDriver.Run(data, cuts);

            var expected = ValidValues(data);
            if (!driver.Closed)
            {
                Assert.Equal(expected, driver.Values);
            }
            else
            {
                Assert.Equal(expected.Take(driver.Values.Count), driver.Values); // a prefix, up to the close
            }
        }
    }

    /// <summary>An independent reading of the protocol: split on newlines, keep lines of 1-18 digits.</summary>
    private static List<long> ValidValues(byte[] data)
    {
        var text = Encoding.Latin1.GetString(data);
        var lines = text.Split('\n');
        return lines.Take(lines.Length - 1) // the part after the last newline is never a value
            .Select(l => l.EndsWith('\r') ? l[..^1] : l)
            .Where(l => l.Length is > 0 and <= LineDecoder.MaxDigits && l.All(char.IsAsciiDigit))
            .Select(long.Parse)
            .ToList();
    }
}
