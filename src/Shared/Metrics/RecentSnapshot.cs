namespace Horodate.Metrics;

/// <summary>
/// A snapshot reused while it is younger than <paramref name="maxAge"/>, else taken anew: one collection of a meter
/// reads one snapshot for all its observable instruments, not one each (each costs the locks of the counted state).
/// </summary>
/// <typeparam name="T">The snapshot (a status record).</typeparam>
internal sealed class RecentSnapshot<T>(Func<T> take, TimeSpan maxAge) where T : class
{
    private readonly Lock _gate = new();
    private T? _value;
    private long _takenAt;

    public T Get()
    {
        lock (_gate)
        {
            if (_value is null || TimeProvider.System.GetElapsedTime(_takenAt) > maxAge)
            {
                _value = take();
                _takenAt = TimeProvider.System.GetTimestamp();
            }

            return _value;
        }
    }
}
