using System.Net.Sockets;
using Horodate.Client.Load;
using Horodate.Core.Protocol;

namespace Horodate.Simulation;

/// <summary>
/// The client's side of the socket, for the production connection (<see cref="IConnectionSink"/>): a send buffer of
/// <see cref="SendBufferBytes"/> that the server frees by reading whole lines; a write takes what fits (part of a line,
/// or nothing: would-block). It is also the checker's witness of what the client did: each line must begin whole,
/// parse, be a value the client sent before if not new, rise strictly on the connection, and end as it began.
/// </summary>
internal sealed partial class SimConnection : IConnectionSink
{
    private readonly byte[] _line = new byte[LineFormat.MaxLineBytes];
    private int _lineLength; // the bytes of a line begun and not ended (the kernel took part of it)
    private long _lineValue;
    private long _lastLine = long.MinValue;
    private int _bufferedBytes; // of the whole lines in flight

    /// <summary>The production connection's generation on this socket (its close notice names it).</summary>
    public int Generation { get; set; }

    /// <summary>What the send buffer holds (whole lines in flight and a line begun).</summary>
    public int SendBufferBytes { get; init; } = int.MaxValue;

    /// <summary>Draws for the writes: their own stream (the schedule's faults stay what their seeds gave).</summary>
    public SimRandom? Wire { get; init; }

    /// <summary>How often, per mille, a write finds the buffer full whatever its room (other traffic, memory pressure).</summary>
    public int WriteEagainPerMille { get; set; }

    /// <summary>How often, per mille, a write that fits is taken only in part.</summary>
    public int PartialPerMille { get; init; }

    /// <summary>The client half-closed its side: nothing more comes once <see cref="InFlight"/> is read.</summary>
    public bool ClientShutdown { get; set; }

    /// <summary>A line begun and not ended sits in the buffer.</summary>
    public bool MidLine => _lineLength > 0;

    /// <summary>The newest value unacknowledged when the client came up on it: its resend ends with that value's line.</summary>
    public long ResendThrough { get; set; } = long.MinValue;

    /// <summary>Part of the resend went out on it, not all (a coverage measure: an ACK read now lands mid-resend).</summary>
    public bool MidResend => _lastLine != long.MinValue && _lastLine < ResendThrough;

    int IConnectionSink.Send(ReadOnlySpan<byte> data, out SocketError error)
    {
        if (!Open)
        {
            error = SocketError.ConnectionReset;
            return 0;
        }

        if (ClientShutdown)
        {
            Client.Misbehaved ??= "it wrote after half-closing";
            error = SocketError.Shutdown;
            return 0;
        }

        var room = SendBufferBytes - _bufferedBytes - _lineLength;
        if (data.IsEmpty || room <= 0 || Wire!.Chance(WriteEagainPerMille))
        {
            error = data.IsEmpty ? SocketError.Success : SocketError.WouldBlock;
            return 0;
        }

        var taken = Math.Min(room, data.Length);
        if (taken > 1 && Wire.Chance(PartialPerMille))
        {
            taken = 1 + Wire.Next(taken - 1);
        }

        Take(data, taken);
        error = SocketError.Success;
        return taken;
    }

    private void Take(ReadOnlySpan<byte> data, int taken)
    {
        for (var at = 0; at < taken;)
        {
            if (_lineLength == 0)
            {
                Begin(data[at..]);
            }

            var chunk = data[at..taken];
            var newline = chunk.IndexOf((byte)'\n');
            var length = newline < 0 ? chunk.Length : newline + 1;
            if (_lineLength + length > _line.Length)
            {
                Client.Misbehaved ??= $"a line longer than {_line.Length} bytes";
                _lineLength = 0;
                return;
            }

            chunk[..length].CopyTo(_line.AsSpan(_lineLength));
            _lineLength += length;
            at += length;
            if (newline >= 0)
            {
                End();
            }
        }
    }

    /// <summary>A line begins: the client hands a whole line at a time, so the write holds all of it.</summary>
    private void Begin(ReadOnlySpan<byte> data)
    {
        var newline = data.IndexOf((byte)'\n');
        if (newline < 0 || LineDecoder.Parse(data[..newline], out var value) != LineStatus.Value)
        {
            Client.Misbehaved ??= "a line that begins in the middle, or is no timestamp";
            _lineValue = long.MinValue;
            return;
        }

        if (value <= _lastLine)
        {
            Client.Misbehaved ??= $"{value} after {_lastLine} on one connection";
        }

        _lineValue = _lastLine = value;
        Client.Handed(value);
    }

    private void End()
    {
        if (LineDecoder.Parse(_line.AsSpan(0, _lineLength - 1), out var value) != LineStatus.Value || value != _lineValue)
        {
            Client.Misbehaved ??= $"the line of {_lineValue} ended as \"{System.Text.Encoding.ASCII.GetString(_line, 0, _lineLength - 1)}\"";
        }
        else
        {
            InFlight.Add(value);
            _bufferedBytes += _lineLength;
        }

        _lineLength = 0;
    }

    /// <summary>The server reads the first <paramref name="count"/> lines in flight into <paramref name="into"/>, freeing their room.</summary>
    public void ReadInto(long[] into, int count)
    {
        InFlight.CopyTo(0, into, 0, count);
        InFlight.RemoveRange(0, count);
        if (!Client.Acknowledged)
        {
            return; // a plain client's model puts values in flight, not bytes: its buffer is not bounded
        }

        foreach (var value in into.AsSpan(0, count))
        {
            _bufferedBytes -= LineBytes(value);
        }
    }

    private static int LineBytes(long value)
    {
        var digits = 1;
        for (var rest = value; rest >= 10; rest /= 10)
        {
            digits++;
        }

        return digits + 1;
    }
}
