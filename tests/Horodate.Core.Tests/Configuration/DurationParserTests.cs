using Horodate.Core.CommandLine;

namespace Horodate.Core.Tests.Configuration;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("50ms", 50)]
    [InlineData("1s", 1_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData(" 10S ", 10_000)]
    public void Reads_a_number_and_a_unit(string text, double ms)
    {
        Assert.True(DurationParser.TryParse(text, out var duration, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("50")]
    [InlineData("ms")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("1 s x")]
    public void Rejects_anything_else_with_an_example_of_what_works(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.Contains("e.g. 50ms", error);
    }

    [Theory]
    [InlineData(50, "50ms")]
    [InlineData(1_000, "1s")]
    [InlineData(120_000, "2m")]
    [InlineData(1_500, "1500ms")]
    public void Formats_durations_in_their_largest_exact_unit(double ms, string expected)
    {
        Assert.Equal(expected, DurationParser.Format(TimeSpan.FromMilliseconds(ms)));
    }

    [Theory]
    [InlineData("127.0.0.1:7890", "127.0.0.1", 7890)]
    [InlineData("[::1]:0", "::1", 0)]
    [InlineData("localhost:80", "localhost", 80)]
    public void Endpoints_read_as_host_and_port(string text, string host, int port)
    {
        Assert.True(EndpointParser.TryParse(text, out var h, out var p, out _));
        Assert.Equal((host, port), (h, p));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1:7890")]
    [InlineData("host:99999")]
    [InlineData("host:-1")]
    [InlineData(":7890")]
    public void Bad_endpoints_are_refused(string text)
    {
        Assert.False(EndpointParser.TryParse(text, out _, out _, out var error));
        Assert.NotEmpty(error);
    }
}
