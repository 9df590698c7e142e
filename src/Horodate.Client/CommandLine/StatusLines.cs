using Horodate.Client.Status;

namespace Horodate.Client.CommandLine;

/// <summary>The plain status line (<see cref="StatusText.Line"/>): for a redirected output or <c>--quiet</c>.</summary>
internal sealed class StatusLines(TextWriter output) : IProgress<ClientStatus>
{
    private ClientStatus? _previous;

    public void Report(ClientStatus value)
    {
        output.WriteLine(StatusText.Line(_previous, value));
        output.Flush();
        _previous = value;
    }
}
