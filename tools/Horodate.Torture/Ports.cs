using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Horodate.Torture;

/// <summary>The ports of a schedule's processes on 127.0.0.1.</summary>
internal static class Ports
{
    /// <summary>
    /// A free port below the ephemeral range: the clients keep connecting while a server is down, and a connect to a
    /// port in the ephemeral range can draw that very port as its source and connect to itself. Drawn from
    /// <paramref name="rng"/> (the schedule's), and bound once to see that nothing holds it now.
    /// </summary>
    public static int Free(Random rng)
    {
        var low = 32768;
        try
        {
            low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            // keep Linux's default
        }

        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = 10000 + rng.Next(Math.Max(1000, low - 10000));
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken: draw another
            }
        }

        throw new InvalidOperationException("no free port below the ephemeral range");
    }
}
