using System.Text;

namespace Horodate.Logging;

/// <summary>
/// A <see cref="TextWriter"/> over a <see cref="LineQueue"/>: each write is queued whole (a <c>WriteLine</c> is one
/// entry, its newline included) and never blocks.
/// </summary>
internal sealed class QueuedTextWriter(LineQueue lines) : TextWriter(System.Globalization.CultureInfo.InvariantCulture)
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => lines.Enqueue(value.ToString());

    public override void Write(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            lines.Enqueue(value);
        }
    }

    public override void WriteLine(string? value) => lines.Enqueue(value + NewLine);

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Nothing to do: the queue's thread writes each line as soon as the stream takes it. A writer that waited here
    /// (the status reporter flushes after each line) would wait on the stream again; the program's exit waits, bounded
    /// (<see cref="StandardOutputWriter.Flush"/>).
    /// </summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync() => Task.CompletedTask;

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
