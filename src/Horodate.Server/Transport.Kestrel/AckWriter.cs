using System.IO.Pipelines;
using Horodate.Core.Protocol;
using Horodate.Server.Sessions;

namespace Horodate.Server.Transport.Kestrel;

/// <summary>
/// Writes the acknowledged mode's lines to one Kestrel connection: from <see cref="SendOk"/> on, a loop writes
/// the OK, then the latest acknowledgement whenever a newer one is offered. Offers come from the pipeline's
/// sync thread (at a stop, from its writer thread's last step) and never block it; a client that reads slowly gets fewer, cumulative acknowledgements. The
/// loop (<see cref="Written"/>) ends after the final one (<see cref="TryDeliverFinal"/>: the client half-closed
/// and everything it sent is acknowledged) or at <see cref="CompleteAsync"/>.
/// </summary>
internal sealed class AckWriter(PipeWriter output) : IAckChannel, IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private long _latest = -1;
    private volatile bool _finishing;
    private Task _loop = Task.CompletedTask;

    /// <summary>Completes once the loop has written its last line (or the connection failed); at once if it never started.</summary>
    public Task Written => _loop;

    /// <inheritdoc />
    /// <remarks>An edge may send it late (<see cref="Sinks.JetStream.EdgeGreeting"/>): not once the connection is ending.</remarks>
    public void SendOk()
    {
        if (!_finishing)
        {
            _loop = RunAsync(_stop.Token);
        }
    }

    /// <summary>The connection is ending: writes the latest acknowledgement, giving the peer <paramref name="flushMax"/> to take it.</summary>
    public async Task CompleteAsync(TimeSpan flushMax)
    {
        Finish();
        _stop.CancelAfter(flushMax);
        await _loop.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>The pipe takes whole lines and never refuses one: the offer is always taken.</remarks>
    public bool TryDeliver(long value)
    {
        Offer(value);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>The pipe never refuses a line: the loop writes the line, if any, then ends, and the handler closes.</remarks>
    public bool TryDeliverFinal(long value)
    {
        Offer(value);
        Finish();
        return true;
    }

    /// <summary>Asks the loop to write the latest acknowledgement, then end.</summary>
    private void Finish()
    {
        _finishing = true;
        Offer(-1);
    }

    /// <summary>Offers a newer acknowledgement; returns at once.</summary>
    private void Offer(long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref _latest)) < value && Interlocked.CompareExchange(ref _latest, value, seen) != seen)
        {
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
    private async Task RunAsync(CancellationToken stop)
    {
        var line = new byte[Handshake.MaxAckLineBytes];
        long sent = -1;
        try
        {
            await output.WriteAsync(Handshake.Ok.ToArray(), stop).ConfigureAwait(false);
            while (true)
            {
                await _signal.WaitAsync(stop).ConfigureAwait(false);
                var value = Volatile.Read(ref _latest);
                if (value > sent)
                {
                    var length = Handshake.WriteAck(line, value);
                    await output.WriteAsync(line.AsMemory(0, length), stop).ConfigureAwait(false);
                    sent = value;
                }

                if (_finishing && Volatile.Read(ref _latest) <= sent)
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

    public void Dispose()
    {
        _signal.Dispose();
        _stop.Dispose();
    }
}
