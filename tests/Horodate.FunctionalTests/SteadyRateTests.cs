using System.Net;
using System.Net.Sockets;
using System.Text;
using Horodate.Core.Protocol;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>
/// The client's summary judges its schedule on the steady state (<c>steady_sent</c> / <c>steady_s</c>): from the
/// moment every connection was up, in acknowledged mode its hello answered. Before, bench.sh divided every value by
/// the whole sending time, so the greeting round trip of the ramp counted as values the client failed to send.
/// </summary>
public sealed class SteadyRateTests
{
    /// <summary>How long the fake server takes to answer each hello: a slow greeting, far above the noise.</summary>
    private static readonly TimeSpan GreetingDelay = TimeSpan.FromMilliseconds(600);

    [Fact]
    public async Task A_slow_greeting_belongs_to_the_ramp_and_the_steady_rate_meets_the_schedule()
    {
        await using var server = FakeServer.Start(ServeSlowGreetingAsync);

        var summary = await TestClient.RunAsync(TestClient.Options(server.Port, 10) with
        {
            Interval = TimeSpan.FromMilliseconds(50),
            Duration = TimeSpan.FromSeconds(2),
        });

        var text = $"sent {summary.Sent} in {summary.Elapsed.TotalSeconds:0.000} s, steady {summary.SteadySent} in {summary.Steady.TotalSeconds:0.000} s";
        Assert.Equal("ack", summary.AckMode);
        Assert.Equal(summary.Sent, summary.Acked);

        // Over the whole sending time the rate falls short by the greeting (what bench.sh used to call not keeping up)...
        Assert.True(summary.Sent / summary.Elapsed.TotalSeconds < 0.9 * summary.TargetRate, text);

        // ... while the steady state began once the greeting was over and kept to the schedule.
        Assert.InRange(summary.Steady, TimeSpan.FromSeconds(0.5), summary.Elapsed - GreetingDelay);
        Assert.InRange(summary.SteadySent / summary.Steady.TotalSeconds, 0.95 * summary.TargetRate, 1.05 * summary.TargetRate);
        Assert.True(summary.SteadySent <= summary.Sent, text);
    }

    /// <summary>Answers the hello after <see cref="GreetingDelay"/>; at the client's half-close, acknowledges its last value.</summary>
    private static async Task ServeSlowGreetingAsync(Socket peer, int index, CancellationToken stop)
    {
        var buffer = new byte[4096];
        var received = new StringBuilder();
        int read;
        while (!received.ToString().Contains('\n', StringComparison.Ordinal) && (read = await peer.ReceiveAsync(buffer, stop)) > 0)
        {
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await Task.Delay(GreetingDelay, stop);
        await peer.SendAsync(Handshake.Ok.ToArray(), stop);
        while ((read = await peer.ReceiveAsync(buffer, stop)) > 0)
        {
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var last = received.ToString().TrimEnd('\n').Split('\n')[^1];
        await peer.SendAsync(Encoding.ASCII.GetBytes($"ACK {last}\n"), stop);
    }
}
