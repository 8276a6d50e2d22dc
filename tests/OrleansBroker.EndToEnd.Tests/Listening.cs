using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>Waits for a process a test started (a silo, Azurite) to accept connections: the only sign of readiness it gives.</summary>
internal static class Listening
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Returns once something accepts connections on <paramref name="port"/> of loopback, polling up to <paramref name="timeout"/>.
    /// Throws when <paramref name="process"/> exits first or the time runs out; <paramref name="details"/> (its recent output, say)
    /// ends the message.
    /// </summary>
    public static async Task WaitAsync(Process process, string name, int port, TimeSpan timeout, Func<string> details, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} before it listened on port {port}.{details()}");
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"{name} did not listen on port {port} within {timeout}.{details()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
        }
    }
}
