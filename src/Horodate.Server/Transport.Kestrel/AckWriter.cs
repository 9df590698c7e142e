using System.IO.Pipelines;
using Horodate.Core.Protocol;

namespace Horodate.Server.Transport.Kestrel;

/// <summary>
/// Writes the acknowledged mode's lines to one Kestrel connection: the OK, then the latest acknowledgement
/// whenever a newer one is offered. Offers come from the pipeline's writer thread and never block it; a
/// client that reads slowly gets fewer, cumulative acknowledgements. <see cref="RunAsync"/> ends after the final
/// one (the client half-closed and everything it sent is acknowledged).
/// </summary>
internal sealed class AckWriter(PipeWriter output) : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private long _latest = -1;
    private volatile bool _final;

    /// <summary>Offers a newer acknowledgement (<paramref name="final"/>: the last one); returns at once.</summary>
    public void Offer(long value, bool final = false)
    {
        long seen;
        while ((seen = Volatile.Read(ref _latest)) < value && Interlocked.CompareExchange(ref _latest, value, seen) != seen)
        {
        }

        if (final)
        {
            _final = true; // after the value: the writer that sees the flag sees the value
        }

        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
        catch (ObjectDisposedException)
        {
            // the connection ended after the acknowledgement was collected
        }
    }

    /// <summary>Writes the OK, then acknowledgements until <paramref name="stop"/> fires or the connection fails.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var line = new byte[Handshake.MaxAckLineBytes];
        long sent = -1;
        try
        {
            await output.WriteAsync(Handshake.Ok.ToArray(), stop).ConfigureAwait(false);
            while (true)
            {
                await _signal.WaitAsync(stop).ConfigureAwait(false);
                var final = _final;
                var value = Volatile.Read(ref _latest);
                if (value > sent)
                {
                    var length = Handshake.WriteAck(line, value);
                    await output.WriteAsync(line.AsMemory(0, length), stop).ConfigureAwait(false);
                    sent = value;
                }

                if (final)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
        {
            // the connection is ending
        }
    }

    public void Dispose() => _signal.Dispose();
}
