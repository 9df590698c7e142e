using Microsoft.Extensions.Hosting;

namespace Horodate.Server.Hosting;

/// <summary>
/// A host lifetime that does nothing: the program, not the host, decides when to stop (it owns the
/// signals), and several servers can live in one process (tests).
/// </summary>
internal sealed class NullHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
