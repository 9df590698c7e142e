using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>Stopping and starting again on the same file: it keeps growing, sorted, never corrupted.</summary>
public sealed class RestartTests
{
    private readonly long _t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public async Task A_restarted_server_appends_after_the_last_value_and_treats_resent_values_as_duplicates()
    {
        using var dir = new TempDirectory();
        await using (var first = await ServerHarness.StartAsync(dir))
        {
            await SendAsync(first, Enumerable.Range(0, 10));
            await first.StopAsync();
        }

        await using var second = await ServerHarness.StartAsync(dir);
        Assert.Equal(_t + 9, second.Server.ResumedAfter);
        await SendAsync(second, Enumerable.Range(5, 11)); // 5..9 again, then 10..15
        var summary = await second.StopAsync();

        Assert.Equal(Enumerable.Range(0, 16).Select(i => _t + i), second.ReadOutput());
        Assert.Equal(5, summary.Duplicates);
        Assert.Equal(0, summary.Late);
    }

    [Fact]
    public async Task A_torn_last_line_left_by_a_crash_is_cut_off_with_a_warning()
    {
        using var dir = new TempDirectory();
        await File.WriteAllTextAsync(dir.File("out.txt"), $"{_t}\n{_t + 1}\n{_t + 2}"[..^3], TestContext.Current.CancellationToken);

        await using var harness = await ServerHarness.StartAsync(dir);
        Assert.Equal(_t + 1, harness.Server.ResumedAfter);
        Assert.Equal($"{_t + 2}"[..^3].Length, harness.Server.TruncatedBytes); // the torn line, no more
        await SendAsync(harness, [1, 2]);
        await harness.StopAsync();

        Assert.Equal([_t, _t + 1, _t + 2], harness.ReadOutput());
        Assert.Contains(harness.Logs.Messages, m => m.Message.Contains("partial line"));
    }

    [Fact]
    public async Task A_file_that_is_not_a_timestamp_file_is_refused_and_left_untouched()
    {
        using var dir = new TempDirectory();
        var path = dir.File("out.txt");
        await File.WriteAllTextAsync(path, "# my notes\nimportant\n", TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<InvalidDataException>(() => ServerHarness.StartAsync(dir));

        Assert.Equal("# my notes\nimportant\n", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Values_below_what_was_already_written_go_to_the_late_file_not_the_output()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir);
        await SendAsync(harness, [10, 11]);
        Assert.True(await Within.PollAsync(() => harness.ReadOutput().Length == 2, Within.Short));

        await SendAsync(harness, [3, 10, 12]); // 3 is late, 10 a duplicate, 12 new
        var summary = await harness.StopAsync();

        Assert.Equal([_t + 10, _t + 11, _t + 12], harness.ReadOutput());
        Assert.Equal($"{_t + 3}\n", await File.ReadAllTextAsync(harness.Options.LateOutput, TestContext.Current.CancellationToken));
        Assert.Equal(1, summary.Late);
        Assert.Equal(1, summary.Duplicates);
    }

    [Fact]
    public async Task A_late_value_resent_after_a_restart_stays_in_the_late_file_once()
    {
        using var dir = new TempDirectory();
        await using (var first = await ServerHarness.StartAsync(dir))
        {
            await SendAsync(first, [10, 11]);
            Assert.True(await Within.PollAsync(() => first.ReadOutput().Length == 2, Within.Short));
            await SendAsync(first, [3]); // below the write point: late
            Assert.Equal(1, (await first.StopAsync()).Late);
        }

        await using var second = await ServerHarness.StartAsync(dir);
        await SendAsync(second, [3, 12]); // 3 resent: it is already in .late
        var summary = await second.StopAsync();

        Assert.Equal($"{_t + 3}\n", await File.ReadAllTextAsync(second.Options.LateOutput, TestContext.Current.CancellationToken));
        Assert.Equal([_t + 10, _t + 11, _t + 12], second.ReadOutput());
        Assert.Equal(0, summary.Late);
        Assert.Equal(1, summary.Duplicates);
    }

    private async Task SendAsync(ServerHarness harness, IEnumerable<int> offsets)
    {
        await using var peer = await RawPeer.ConnectAsync(harness.Endpoint);
        await peer.SendAsync(string.Concat(offsets.Select(i => $"{_t + i}\n")));
        peer.Finish();
        await peer.ReadUntilClosedAsync(Within.Short); // the server has read everything once it closes
    }
}
