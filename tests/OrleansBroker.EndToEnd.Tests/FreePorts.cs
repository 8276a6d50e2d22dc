using System.Net;
using System.Net.Sockets;

namespace OrleansBroker.EndToEnd.Tests;

internal static class FreePorts
{
    private const int Lowest = 10_000;
    private const int Attempts = 1_000;
    private const string EphemeralRange = "/proc/sys/net/ipv4/ip_local_port_range";

    /// <summary>
    /// Ports nothing listens on now, all different (held open together while chosen), taken at random below the range the
    /// kernel picks outgoing connections' local ports from. A port of that range, which binding to port 0 hands out, can
    /// become some connection's local port between this check and the silo's bind, and the silo then fails to start with
    /// "Address already in use" (seen in CI for a gateway port).
    /// </summary>
    public static int[] Take(int count)
    {
        var end = EphemeralStart();
        var listeners = new List<TcpListener>();
        try
        {
            for (var attempt = 0; listeners.Count < count; attempt++)
            {
                Assert.True(attempt < Attempts, $"No {count} free ports between {Lowest} and {end} in {Attempts} attempts.");
                var listener = new TcpListener(IPAddress.Loopback, Random.Shared.Next(Lowest, end));
                try
                {
                    listener.Start();
                    listeners.Add(listener);
                }
                catch (SocketException)
                {
                    listener.Dispose();
                }
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux), else the IANA dynamic range's first, 49152.</summary>
    private static int EphemeralStart() =>
        File.Exists(EphemeralRange) && int.TryParse(File.ReadAllText(EphemeralRange).Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var start) && start > Lowest + 1_000
            ? start
            : 49_152;
}
