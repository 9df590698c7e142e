using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Horodate.Torture;

/// <summary>
/// Hostile and odd peers, speaking the wire protocol by hand. Each writes the values it sent whole (one
/// line per value, ascending) to a record for the checker; a value whose last byte did not go out is not
/// in it.
/// </summary>
internal static class RawPeer
{
    /// <summary>Sends whole values, each a byte at a time with a pause between bytes, for <paramref name="length"/>.</summary>
    public static async Task SlowAsync(IPEndPoint server, TimeSpan length, Random rng, string record, CancellationToken stop)
    {
        var sent = new List<long>();
        try
        {
            using var socket = await ConnectAsync(server, stop).ConfigureAwait(false);
            var end = DateTime.UtcNow + length;
            var pause = TimeSpan.FromMilliseconds(10 + rng.Next(51));
            while (DateTime.UtcNow < end)
            {
                var value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var line = Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture) + "\n");
                for (var i = 0; i < line.Length; i++)
                {
                    await socket.SendAsync(line.AsMemory(i, 1), stop).ConfigureAwait(false);
                    if (i == line.Length - 1)
                    {
                        sent.Add(value); // whole on the wire: recorded before anything can interrupt the pause
                    }

                    await Task.Delay(pause, stop).ConfigureAwait(false);
                }
            }

            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            // the server went away (a fault), or the schedule ended: what went out whole is recorded
        }
        finally
        {
            await WriteRecordAsync(record, sent).ConfigureAwait(false);
        }
    }

    /// <summary>Sends one value and half of another, then nothing for <paramref name="length"/>, then resets the connection.</summary>
    public static async Task HalfOpenAsync(IPEndPoint server, TimeSpan length, string record, CancellationToken stop)
    {
        var sent = new List<long>();
        try
        {
            using var socket = await ConnectAsync(server, stop).ConfigureAwait(false);
            var value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await socket.SendAsync(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture) + "\n"), stop).ConfigureAwait(false);
            sent.Add(value);
            await socket.SendAsync("17"u8.ToArray(), stop).ConfigureAwait(false);
            await Task.Delay(length, stop).ConfigureAwait(false);
            socket.LingerState = new LingerOption(true, 0); // vanish: RST, not FIN
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            // the server went away or the schedule ended
        }
        finally
        {
            await WriteRecordAsync(record, sent).ConfigureAwait(false);
        }
    }

    /// <summary>Sends <paramref name="bytes"/> bytes of garbage, then closes. No line of it is a value.</summary>
    public static async Task GarbageAsync(IPEndPoint server, int bytes, Random rng, CancellationToken stop)
    {
        try
        {
            using var socket = await ConnectAsync(server, stop).ConfigureAwait(false);
            await socket.SendAsync(Garbage(bytes, rng), stop).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            // the server closed it (100 rejected lines, 4 KiB without a newline) or went away
        }
    }

    /// <summary>
    /// Lines of random bytes, each with at least one byte that is neither a digit nor <c>\r</c> (or 19
    /// digits and more), so none is a value; some longer than the 64-byte cap, some without end.
    /// </summary>
    internal static byte[] Garbage(int bytes, Random rng)
    {
        var garbage = new List<byte>(bytes + 128);
        while (garbage.Count < bytes)
        {
            var kind = rng.Next(4);
            var line = new List<byte>();
            if (kind == 0)
            {
                // too many digits to be a value
                for (var i = 19 + rng.Next(60); i > 0; i--)
                {
                    line.Add((byte)('0' + rng.Next(10)));
                }
            }
            else
            {
                for (var i = 1 + rng.Next(kind == 3 ? 300 : 40); i > 0; i--)
                {
                    var b = (byte)rng.Next(256);
                    line.Add(b == '\n' ? (byte)'x' : b);
                }

                if (line.TrueForAll(b => b is (>= (byte)'0' and <= (byte)'9') or (byte)'\r'))
                {
                    line.Insert(rng.Next(line.Count + 1), (byte)'-');
                }
            }

            garbage.AddRange(line);
            garbage.Add((byte)'\n');
        }

        return [.. garbage];
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint server, CancellationToken stop)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, stop).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Task WriteRecordAsync(string path, List<long> values) =>
        File.WriteAllLinesAsync(path, values.Select(v => v.ToString(CultureInfo.InvariantCulture)), CancellationToken.None);
}
