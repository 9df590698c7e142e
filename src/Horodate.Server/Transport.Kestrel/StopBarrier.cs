namespace Horodate.Server.Transport.Kestrel;

/// <summary>
/// The graceful stop's order on Kestrel: every connection handler drains and hands over what it received,
/// then waits here with its connection open, so that the pipeline's final flush, sync and acknowledgements
/// reach the clients; only then are the connections closed.
/// </summary>
internal sealed class StopBarrier
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closeAllowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _active;
    private volatile bool _stopping;

    /// <summary>A handler starts.</summary>
    public void Enter() => Interlocked.Increment(ref _active);

    /// <summary>A handler has handed over everything: during a stop, it waits for <see cref="AllowClose"/>.</summary>
    public Task ArriveAsync()
    {
        var stopping = _stopping;
        Leave();
        return stopping ? _closeAllowed.Task : Task.CompletedTask;
    }

    /// <summary>Stops: completes once every handler has arrived.</summary>
    public Task StopReadingAsync()
    {
        _stopping = true;
        if (Volatile.Read(ref _active) == 0)
        {
            _drained.TrySetResult();
        }

        return _drained.Task;
    }

    /// <summary>The final acknowledgements went out: the handlers may close their connections.</summary>
    public void AllowClose() => _closeAllowed.TrySetResult();

    private void Leave()
    {
        if (Interlocked.Decrement(ref _active) == 0 && _stopping)
        {
            _drained.TrySetResult();
        }
    }
}
