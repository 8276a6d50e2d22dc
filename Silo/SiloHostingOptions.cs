using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansBroker.Grains;
using OrleansBroker.Storage;

namespace OrleansBroker.Silo;

/// <summary>How the silo joins its cluster and where it keeps its data, from the <c>Broker</c> section.</summary>
internal sealed class SiloHostingOptions
{
    /// <summary>Localhost: one silo (or several on one machine) with no external service; AzureTable: silos of any machine meet in an Azure (or Azurite) table; Kubernetes: AzureTable membership for pods of a Kubernetes deployment. Default: Localhost.</summary>
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    /// <summary>File: logs and metadata under the data directory; Azure: logs in append blobs and metadata in Azure Table grain storage. Default: File.</summary>
    public StorageMode Storage { get; set; } = StorageMode.File;

    /// <summary>
    /// <c>Broker:DirectIO</c>, which the File backend reads (<see cref="OrleansBroker.Grains.Options.BrokerOptions.DirectIO"/>):
    /// read here only to refuse it with Azure storage, which it would not apply to. Default: false.
    /// </summary>
    public bool DirectIO { get; set; }

    /// <summary>The Azure Storage account used by Azure storage and AzureTable clustering (<c>Broker:Azure</c>).</summary>
    public AzureStorageSettings Azure { get; set; } = new();

    /// <summary>The port silos talk to each other on. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port clients connect to. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients reach this silo on (AzureTable or Kubernetes clustering); null picks the machine's own (the pod's <c>POD_IP</c> on Kubernetes). Default: null.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The cluster id; silos and clients of one cluster share it. Default: orleans-broker.</summary>
    public string ClusterId { get; set; } = "orleans-broker";

    /// <summary>How fast silos declare a silo that stopped answering dead (<c>Broker:Membership</c>).</summary>
    public MembershipSettings Membership { get; set; } = new();

    /// <summary>Throws when the settings cannot work, before the silo starts.</summary>
    public void Validate()
    {
        var failures = new List<string>();
        if ((Storage == StorageMode.Azure || Clustering != ClusteringMode.Localhost) && string.IsNullOrWhiteSpace(Azure.ConnectionString))
        {
            failures.Add("Broker:Azure:ConnectionString is required when Broker:Storage is Azure or Broker:Clustering is AzureTable or Kubernetes (UseDevelopmentStorage=true for Azurite).");
        }

        if (Storage == StorageMode.Azure && DirectIO)
        {
            failures.Add("Broker:DirectIO applies to File storage only: with Broker:Storage Azure, logs are append blobs.");
        }

        if (AdvertisedAddress is not null && !IPAddress.TryParse(AdvertisedAddress, out _))
        {
            failures.Add($"Broker:AdvertisedAddress '{AdvertisedAddress}' is not an IP address.");
        }

        failures.AddRange(Azure.Validate());
        failures.AddRange(Membership.Validate());

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("Broker", typeof(SiloHostingOptions), failures);
        }
    }

    public void ConfigureClustering(ISiloBuilder silo)
    {
        silo.Configure<ClusterMembershipOptions>(Membership.ApplyTo);
        switch (Clustering)
        {
            case ClusteringMode.Localhost:
                silo.UseLocalhostClustering(SiloPort, GatewayPort, serviceId: ClusterId, clusterId: ClusterId);
                break;
            case ClusteringMode.AzureTable:
                if (AdvertisedAddress is null)
                {
                    silo.ConfigureEndpoints(SiloPort, GatewayPort, listenOnAnyHostAddress: true);
                }
                else
                {
                    silo.ConfigureEndpoints(IPAddress.Parse(AdvertisedAddress), SiloPort, GatewayPort);
                }

                UseAzureTableMembership(silo);
                break;
            case ClusteringMode.Kubernetes:
                // Kubernetes hosting names the silo after its pod, advertises the pod's IP, listens on all addresses and
                // declares a silo dead as soon as its pod is deleted; membership itself stays in the Azure table.
                silo.Configure<EndpointOptions>(endpoints =>
                {
                    (endpoints.SiloPort, endpoints.GatewayPort) = (SiloPort, GatewayPort);
                    if (AdvertisedAddress is not null)
                    {
                        endpoints.AdvertisedIPAddress = IPAddress.Parse(AdvertisedAddress);
                    }
                });
                UseAzureTableMembership(silo);

                // After the cluster ids above, so ORLEANS_SERVICE_ID and ORLEANS_CLUSTER_ID (the pod's labels) win when set.
                silo.UseKubernetesHosting();
                break;
            default:
                throw new InvalidOperationException($"Broker:Clustering '{Clustering}' is not supported.");
        }
    }

    private void UseAzureTableMembership(ISiloBuilder silo)
    {
        silo.Configure<ClusterOptions>(cluster => (cluster.ClusterId, cluster.ServiceId) = (ClusterId, ClusterId));
        silo.UseAzureStorageClustering(options =>
        {
            options.TableServiceClient = new TableServiceClient(Azure.ConnectionString);
            options.TableName = Azure.ClusteringTableName;
        });
    }

    /// <summary>Registers the Azure log store and metadata storage; File needs nothing (it is the broker's default).</summary>
    public void ConfigureStorage(ISiloBuilder silo)
    {
        if (Storage != StorageMode.Azure)
        {
            return;
        }

        var logs = new AzureBlobLogStoreOptions { ConnectionString = Azure.ConnectionString, ContainerName = Azure.LogContainerName };
        Azure.ApplyTo(logs.ClientOptions);
        silo.Services.AddSingleton<ILogStore>(sp => new AzureBlobLogStore(logs, sp.GetRequiredService<TimeProvider>()));
        silo.AddAzureTableGrainStorage(BrokerStorage.MetadataStorageName, options =>
        {
            options.TableServiceClient = new TableServiceClient(Azure.ConnectionString);
            options.TableName = Azure.MetadataTableName;
        });
    }
}

/// <summary>The Azure Storage account of the <c>Broker:Azure</c> section.</summary>
internal sealed class AzureStorageSettings
{
    /// <summary>The account's connection string; <c>UseDevelopmentStorage=true</c> is Azurite on loopback. Required for Azure storage or AzureTable clustering.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The blob container of the partition logs. Default: broker-logs.</summary>
    public string LogContainerName { get; set; } = "broker-logs";

    /// <summary>The table of the metadata grain storage (topics, partitions, offsets). Default: BrokerMetadata.</summary>
    public string MetadataTableName { get; set; } = "BrokerMetadata";

    /// <summary>The membership table of AzureTable clustering. Default: BrokerCluster.</summary>
    public string ClusteringTableName { get; set; } = "BrokerCluster";

    /// <summary>How many times the log store's blob client retries a failed or timed-out request. Default: 3.</summary>
    public int LogMaxRetries { get; set; } = 3;

    /// <summary>The log store's wait before its first retry; each further retry waits twice as long (at most a minute). Default: 00:00:00.8 (the SDK's).</summary>
    public TimeSpan LogRetryDelay { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>How long one attempt of a log store's blob request may take before it counts as failed. Default: 00:00:05.</summary>
    public TimeSpan LogNetworkTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate()
    {
        if (LogMaxRetries < 0)
        {
            yield return $"Broker:Azure:LogMaxRetries {LogMaxRetries} must be 0 or more.";
        }

        if (LogRetryDelay < TimeSpan.Zero)
        {
            yield return $"Broker:Azure:LogRetryDelay {LogRetryDelay} must not be negative.";
        }

        if (LogNetworkTimeout <= TimeSpan.Zero)
        {
            yield return $"Broker:Azure:LogNetworkTimeout {LogNetworkTimeout} must be positive.";
        }
    }

    /// <summary>Sets the retries and timeouts of the log store's blob client.</summary>
    public void ApplyTo(BlobClientOptions options)
    {
        options.Retry.MaxRetries = LogMaxRetries;
        options.Retry.Delay = LogRetryDelay;
        options.Retry.NetworkTimeout = LogNetworkTimeout;
    }
}

/// <summary>
/// Failure detection of the <c>Broker:Membership</c> section, over Orleans' <see cref="ClusterMembershipOptions"/>. A silo
/// probes the others about every <see cref="ProbeTimeout"/> (Orleans adapts the period between half and four times it
/// to the answers it sees); after <see cref="NumMissedProbesLimit"/> missed probes it votes the silo dead, and two votes
/// (a majority, in a cluster of three or fewer) declare it dead. Until then the partitions it held take no writes: lower values fail over faster, but a silo that
/// pauses longer (a long GC, a starved machine) is thrown out of the cluster.
/// </summary>
internal sealed class MembershipSettings
{
    /// <summary>How long a probe waits for an answer, and roughly how often probes go out. Default: 00:00:05 (Orleans').</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many probes in a row a silo may miss before it is suspected. Default: 3 (Orleans').</summary>
    public int NumMissedProbesLimit { get; set; } = 3;

    public IEnumerable<string> Validate()
    {
        if (ProbeTimeout < TimeSpan.FromMilliseconds(100) || ProbeTimeout > TimeSpan.FromMinutes(1))
        {
            yield return $"Broker:Membership:ProbeTimeout {ProbeTimeout} must be between 00:00:00.1 and 00:01:00.";
        }

        if (NumMissedProbesLimit < 1)
        {
            yield return $"Broker:Membership:NumMissedProbesLimit {NumMissedProbesLimit} must be at least 1.";
        }
    }

    public void ApplyTo(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
    }
}

/// <summary>How silos find each other.</summary>
internal enum ClusteringMode
{
    /// <summary>Localhost clustering: no external service.</summary>
    Localhost,

    /// <summary>A membership table in Azure Table storage (or Azurite).</summary>
    AzureTable,

    /// <summary>
    /// Pods of a Kubernetes deployment: membership in the Azure table as for <see cref="AzureTable"/>, plus Orleans'
    /// Kubernetes hosting (pod name, pod IP and cluster ids from the environment; a deleted pod's silo is declared dead).
    /// </summary>
    Kubernetes,
}

/// <summary>Where logs and metadata live.</summary>
internal enum StorageMode
{
    /// <summary>Files under the data directory.</summary>
    File,

    /// <summary>Azure Blob (logs) and Azure Table (metadata) storage, or Azurite.</summary>
    Azure,
}
