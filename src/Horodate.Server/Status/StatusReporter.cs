namespace Horodate.Server.Status;

/// <summary>Prints <see cref="StatusText.Line"/> every interval: what changed since the previous line.</summary>
internal sealed class StatusReporter(StatusSource status, TextWriter output, TimeSpan interval) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start()
    {
        if (interval > TimeSpan.Zero)
        {
            _loop = RunAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(interval);
        var previous = status.Take();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var current = status.Take();
                await output.WriteLineAsync(StatusText.Line(previous, current)).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
                previous = current;
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
