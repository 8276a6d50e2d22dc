namespace OrleansBroker.Silo;

/// <summary>How the silo joins its cluster, from the <c>Broker</c> section.</summary>
internal sealed class SiloHostingOptions
{
    /// <summary>Localhost: one silo (or several on one machine) with no external service. Default: Localhost.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>The port silos talk to each other on. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port clients connect to. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The cluster id; silos and clients of one cluster share it. Default: orleans-broker.</summary>
    public string ClusterId { get; set; } = "orleans-broker";

    public void ConfigureClustering(ISiloBuilder silo)
    {
        switch (Clustering)
        {
            case ClusteringMode.Localhost:
                silo.UseLocalhostClustering(SiloPort, GatewayPort, serviceId: ClusterId, clusterId: ClusterId);
                break;
            default:
                throw new InvalidOperationException($"Broker:Clustering '{Clustering}' is not supported.");
        }
    }
}

/// <summary>How silos find each other.</summary>
internal enum ClusteringMode
{
    /// <summary>Localhost clustering: no external service.</summary>
    Localhost,
}
