using System.Reflection;
using Microsoft.Extensions.Configuration;
using OrleansBroker.Grains.Options;
using OrleansBroker.Silo;
using OrleansBroker.Silo.Management;

namespace OrleansBroker.Deploy.Tests;

/// <summary>The repository these tests were built from, and the silo settings its appsettings.json ships.</summary>
internal static class Repository
{
    public static string Root { get; } =
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value
        ?? throw new InvalidOperationException("The assembly metadata 'RepositoryRoot' is empty.");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    /// <summary>The <c>Broker</c> section of appsettings.json, as the silo binds it.</summary>
    public static IConfigurationSection ShippedSettings { get; } =
        new ConfigurationBuilder().AddJsonFile(PathOf("appsettings.json")).Build().GetSection(BrokerOptions.SectionName);

    public static SiloHostingOptions ShippedHosting => ShippedSettings.Get<SiloHostingOptions>()!;

    public static ManagementOptions ShippedManagement => ShippedSettings.Get<ManagementOptions>()!;
}
