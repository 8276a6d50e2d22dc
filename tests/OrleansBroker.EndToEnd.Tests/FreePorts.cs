using System.Net;
using System.Net.Sockets;

namespace OrleansBroker.EndToEnd.Tests;

internal static class FreePorts
{
    /// <summary>Ports nothing listens on now; all are held open together, so they differ from each other.</summary>
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
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
}
