using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OrleansBroker.Cli.Connection;

/// <summary>A broker gateway address as typed on the command line: <c>host:port</c> or <c>[ipv6]:port</c>.</summary>
internal readonly record struct BrokerEndpoint(string Host, int Port)
{
    public static bool TryParse(string? text, out BrokerEndpoint endpoint)
    {
        endpoint = default;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            return false;
        }

        endpoint = new BrokerEndpoint(host, port);
        return true;
    }

    /// <summary>The gateway's IP endpoint; IPv4 first, since the silo's localhost clustering listens on 127.0.0.1.</summary>
    public async Task<IPEndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Host, out var address))
        {
            return new IPEndPoint(address, Port);
        }

        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
        return new IPEndPoint(chosen, Port);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}
