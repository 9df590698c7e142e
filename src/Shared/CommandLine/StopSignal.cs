using System.Runtime.InteropServices;

namespace Horodate.CommandLine;

/// <summary>
/// Turns the first Ctrl-C or SIGTERM into a graceful stop (the token is cancelled). A second Ctrl-C is
/// left to the system, which ends the process at once: the way out of a stop that hangs.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    public StopSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested && context.Signal == PosixSignal.SIGINT)
        {
            return; // second Ctrl-C: let it kill the process
        }

        context.Cancel = true;
        _stop.Cancel();
    }
}
