using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Horodate.Metrics;

/// <summary>
/// An <see cref="IMeterFactory"/> without a service provider: one meter per name, version and tags, scoped to the
/// factory and disposed with it, as <c>AddMetrics()</c>'s factory does; dotnet-counters and OpenTelemetry find the
/// meters by name all the same. Built directly so that a native program's start builds no service provider
/// (docs/performance.md, Native).
/// </summary>
internal sealed class MeterFactory : IMeterFactory
{
    private readonly ConcurrentDictionary<(string Name, string? Version), Meter> _meters = new();

    /// <inheritdoc />
    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tags?.Any() == true)
        {
            throw new NotSupportedException("Meters with tags are not used here.");
        }

        return _meters.GetOrAdd((options.Name, options.Version), key => new Meter(new MeterOptions(key.Name) { Version = key.Version, Scope = this }));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var meter in _meters.Values)
        {
            meter.Dispose();
        }

        _meters.Clear();
    }
}
