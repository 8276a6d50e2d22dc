using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting.Kubernetes;
using OrleansBroker.Grains.Options;
using OrleansBroker.Silo;
using OrleansBroker.Silo.Management;
using YamlDotNet.Core;

namespace OrleansBroker.Deploy.Tests;

/// <summary>
/// deploy/kubernetes/ loaded into the Kubernetes client's typed models, rejecting unknown fields, and checked
/// against what the silo and Orleans' Kubernetes hosting actually read and serve.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string SiloContainerName = "silo";

    private static readonly string[] ManifestFiles = Directory.GetFiles(Repository.PathOf("deploy", "kubernetes"), "*.yaml");

    [Fact]
    public void Every_manifest_loads_strictly_into_typed_kubernetes_models()
    {
        Assert.NotEmpty(ManifestFiles);
        foreach (var file in ManifestFiles)
        {
            var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(file), strict: true);

            Assert.NotEmpty(objects);
            Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o));
        }

        Assert.Equal(
            ["Deployment", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount"],
            LoadAll().Select(o => ((IKubernetesObject)o).Kind).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_misspelt_field_name_makes_a_manifest_fail_to_load()
    {
        var misspelt = Repository.Read("deploy", "kubernetes", "silo.yaml").Replace("readinessProbe:", "readinesProbe:", StringComparison.Ordinal);

        Assert.Throws<YamlException>(() => KubernetesYaml.LoadAllFromString(misspelt, strict: true));
    }

    [Fact]
    public void The_silo_container_opens_the_shipped_silo_gateway_and_management_ports()
    {
        var ports = SiloContainer().Ports.ToDictionary(p => p.Name, p => p.ContainerPort);

        Assert.Equal(
            new Dictionary<string, int>
            {
                ["silo"] = Repository.ShippedHosting.SiloPort,
                ["gateway"] = Repository.ShippedHosting.GatewayPort,
                ["management"] = Repository.ShippedManagement.ManagementPort,
            },
            ports);
        Assert.Equal(Repository.ShippedManagement.ManagementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Single<V1Deployment>().Spec.Template.Metadata.Annotations["prometheus.io/port"]);
        Assert.Equal(ManagementOptions.MetricsPath, Single<V1Deployment>().Spec.Template.Metadata.Annotations["prometheus.io/path"]);
    }

    [Fact]
    public void Probes_ask_the_management_port_for_liveness_and_readiness()
    {
        var silo = SiloContainer();
        var management = silo.Ports.Single(p => p.ContainerPort == Repository.ShippedManagement.ManagementPort).Name;

        Assert.Equal((ManagementOptions.ReadyPath, management), (silo.ReadinessProbe.HttpGet.Path, silo.ReadinessProbe.HttpGet.Port.Value));
        Assert.Equal((ManagementOptions.LivePath, management), (silo.LivenessProbe.HttpGet.Path, silo.LivenessProbe.HttpGet.Port.Value));
        Assert.Equal((ManagementOptions.LivePath, management), (silo.StartupProbe.HttpGet.Path, silo.StartupProbe.HttpGet.Port.Value));
    }

    [Fact]
    public void The_pod_gives_the_silo_what_orleans_kubernetes_hosting_reads()
    {
        var env = SiloContainer().Env.ToDictionary(e => e.Name);
        var labels = Single<V1Deployment>().Spec.Template.Metadata.Labels;

        Assert.Equal("metadata.name", env[KubernetesHostingOptions.PodNameEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env[KubernetesHostingOptions.PodNamespaceEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", env[KubernetesHostingOptions.PodIPEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        Assert.Equal(
            $"metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']",
            env[KubernetesHostingOptions.ServiceIdEnvironmentVariable].ValueFrom.FieldRef.FieldPath);
        Assert.Equal(
            $"metadata.labels['{KubernetesHostingOptions.ClusterIdLabel}']",
            env[KubernetesHostingOptions.ClusterIdEnvironmentVariable].ValueFrom.FieldRef.FieldPath);

        // Clients (obroker) use the broker's cluster id as both ids, so the labels must carry it.
        Assert.Equal(Repository.ShippedHosting.ClusterId, labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal(Repository.ShippedHosting.ClusterId, labels[KubernetesHostingOptions.ClusterIdLabel]);
    }

    [Fact]
    public void The_silo_settings_of_the_pod_select_kubernetes_clustering_and_azure_storage_and_pass_validation()
    {
        var env = SiloContainer().Env;
        var secret = env.Single(e => e.ValueFrom?.SecretKeyRef is not null);
        var settings = env
            .Where(e => e.Name.StartsWith(BrokerOptions.SectionName + "__", StringComparison.Ordinal))
            .ToDictionary(e => e.Name.Replace("__", ":", StringComparison.Ordinal), string? (e) => e.Value ?? "a value from the secret");

        var hosting = new ConfigurationBuilder()
            .AddJsonFile(Repository.PathOf("appsettings.json"))
            .AddInMemoryCollection(settings)
            .Build().GetSection(BrokerOptions.SectionName).Get<SiloHostingOptions>()!;

        hosting.Validate();
        Assert.Equal((ClusteringMode.Kubernetes, StorageMode.Azure), (hosting.Clustering, hosting.Storage));
        Assert.Equal("Broker__Azure__ConnectionString", secret.Name);
        Assert.Equal(("orleans-broker-azure", "connection-string"), (secret.ValueFrom.SecretKeyRef.Name, secret.ValueFrom.SecretKeyRef.Key));
    }

    [Fact]
    public void The_service_account_of_the_pod_may_read_watch_and_label_pods()
    {
        var pod = Single<V1Deployment>().Spec.Template.Spec;
        var role = Single<V1Role>();
        var binding = Single<V1RoleBinding>();

        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "patch", "watch"], rule.Verbs.Order(StringComparer.Ordinal));
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", pod.ServiceAccountName), (subject.Kind, subject.Name));
        Assert.Equal(pod.ServiceAccountName, Single<V1ServiceAccount>().Metadata.Name);
    }

    [Fact]
    public void The_gateway_service_and_the_disruption_budget_select_the_silo_pods()
    {
        var deployment = Single<V1Deployment>();
        var podLabels = deployment.Spec.Template.Metadata.Labels;
        var service = Single<V1Service>();

        Assert.All(deployment.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, podLabels[label.Key]));
        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, podLabels[label.Key]));
        Assert.All(Single<V1PodDisruptionBudget>().Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, podLabels[label.Key]));
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal(Repository.ShippedHosting.GatewayPort, port.Port);
        Assert.Equal(Repository.ShippedHosting.GatewayPort, SiloContainer().Ports.Single(p => p.Name == port.TargetPort.Value).ContainerPort);
    }

    [Fact]
    public void The_pod_outlasts_a_graceful_shutdown_and_runs_unprivileged_with_bounded_memory()
    {
        var pod = Single<V1Deployment>().Spec.Template.Spec;
        var silo = SiloContainer();

        Assert.True(pod.TerminationGracePeriodSeconds > new HostOptions().ShutdownTimeout.TotalSeconds, "Kubernetes would kill the silo mid-shutdown.");
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.False(silo.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains("cpu", silo.Resources.Requests.Keys);
        Assert.Contains("memory", silo.Resources.Requests.Keys);
        Assert.Contains("memory", silo.Resources.Limits.Keys);
    }

    private static List<object> LoadAll() =>
        [.. ManifestFiles.SelectMany(file => KubernetesYaml.LoadAllFromString(File.ReadAllText(file), strict: true))];

    private static T Single<T>() => Assert.Single(LoadAll().OfType<T>());

    private static V1Container SiloContainer() => Single<V1Deployment>().Spec.Template.Spec.Containers.Single(c => c.Name == SiloContainerName);
}
