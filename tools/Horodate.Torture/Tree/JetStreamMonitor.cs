using System.Globalization;
using System.Text.Json;

namespace Horodate.Torture.Tree;

/// <summary>
/// nats-server's monitoring endpoint (<c>/jsz</c>), read without a NATS client (the harness shares no code with the
/// programs): how far the root's durable consumer has acknowledged the stream. The root acknowledges a frame only
/// once its values are fsynced, so an ack floor at the stream's last message means the root's file holds everything
/// the edges published.
/// </summary>
internal sealed class JetStreamMonitor(int port) : IDisposable
{
    /// <summary>The root's durable consumer (README, "Scaling out").</summary>
    private const string Consumer = "horodate-root";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Uri _jsz = new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/jsz?accounts=true&streams=true&consumers=true"));

    /// <summary>The stream's last sequence and the root's ack floor; null while nats-server does not answer or the consumer does not exist yet.</summary>
    public async Task<(ulong LastSeq, ulong AckFloor)?> ReadAsync(CancellationToken cancel)
    {
        try
        {
            using var json = JsonDocument.Parse(await _http.GetStringAsync(_jsz, cancel).ConfigureAwait(false));
            foreach (var account in Array(json.RootElement, "account_details"))
            {
                foreach (var stream in Array(account, "stream_detail"))
                {
                    foreach (var consumer in Array(stream, "consumer_detail"))
                    {
                        if (consumer.GetProperty("name").GetString() == Consumer)
                        {
                            return (stream.GetProperty("state").GetProperty("last_seq").GetUInt64(), consumer.GetProperty("ack_floor").GetProperty("stream_seq").GetUInt64());
                        }
                    }
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until the root's ack floor reaches the stream's last message (the root holds everything published), for at
    /// most <paramref name="timeout"/>; returns what it saw last when it gave up.
    /// </summary>
    public async Task<(bool CaughtUp, string Seen)> WaitCaughtUpAsync(TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = "nats-server's /jsz never answered with the root's consumer";
        while (true)
        {
            if (await ReadAsync(cancel).ConfigureAwait(false) is { } state)
            {
                seen = string.Create(CultureInfo.InvariantCulture, $"ack floor {state.AckFloor} of {state.LastSeq} frames");
                if (state.AckFloor >= state.LastSeq)
                {
                    return (true, seen);
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return (false, seen);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancel).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();

    private static JsonElement[] Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? [.. array.EnumerateArray()] : [];
}
