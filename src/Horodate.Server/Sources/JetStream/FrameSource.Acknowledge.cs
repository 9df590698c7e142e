using NATS.Client.JetStream;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// Acknowledging to JetStream: the longest prefix of delivered frames whose values the pipeline made durable, and
/// where the pipeline's acknowledgements for each edge (or late frame) land.
/// </summary>
internal sealed partial class FrameSource
{
    private async Task AcknowledgeLoopAsync(CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(AckPeriod);
        while (await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false))
        {
            await AcknowledgeAsync(cancel).ConfigureAwait(false);
        }
    }

    private async Task AcknowledgeAsync(CancellationToken cancel)
    {
        if (_intake.Acknowledgeable(out var count) is not INatsJSMsg<byte[]> last)
        {
            return;
        }

        try
        {
            await last.AckAsync(cancellationToken: cancel).ConfigureAwait(false); // AckPolicy All: every earlier frame too
            Interlocked.Add(ref _acked, count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged: JetStream redelivers after AckWait, and the values are recognised as stored.
            Log.AckFailed(_logger, ex.Message);
        }
    }
}
