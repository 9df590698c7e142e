namespace Horodate.Server.Status;

/// <summary>
/// The last minutes of the server's life, one <see cref="StatusSample"/> a second, for the dashboard: a page
/// opened late still draws the whole window. Runs only with <c>--http</c>; one <see cref="ServerStatus"/> a second.
/// </summary>
internal sealed class StatusHistory : IAsyncDisposable
{
    /// <summary>Ten minutes at one sample a second: 600 samples of about 100 bytes.</summary>
    public const int Capacity = 600;

    private readonly StatusSource _status;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly StatusSample[] _ring = new StatusSample[Capacity];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private long _count;
    private Task _loop = Task.CompletedTask;

    public StatusHistory(StatusSource status, TimeProvider time, TimeSpan interval)
    {
        _status = status;
        _time = time;
        _interval = interval;
    }

    /// <summary>The time between samples.</summary>
    public TimeSpan Interval => _interval;

    public void Start()
    {
        Take();
        _loop = RunAsync();
    }

    /// <summary>The samples taken after <paramref name="afterTime"/> (Unix ms), oldest first.</summary>
    public StatusSample[] Since(long afterTime)
    {
        lock (_gate)
        {
            var available = (int)Math.Min(_count, Capacity);
            var result = new List<StatusSample>(available);
            for (var i = _count - available; i < _count; i++)
            {
                var sample = _ring[i % Capacity];
                if (sample.Time > afterTime)
                {
                    result.Add(sample);
                }
            }

            return [.. result];
        }
    }

    /// <summary>Takes a sample now (the loop does it every interval).</summary>
    public StatusSample Take()
    {
        var sample = StatusSample.From(_status.Take());
        lock (_gate)
        {
            _ring[_count++ % Capacity] = sample;
        }

        return sample;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Take();
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
