using System.Net;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>The Orleans Dashboard, served under /dashboard on the management port when Broker:Dashboard is true.</summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private const string OneActiveSilo = "\"totalActiveHostCount\":1";
    private readonly DirectoryInfo _dataDirectory = Directory.CreateTempSubdirectory("obroker-dashboard-");
    private readonly SiloProcess _silo;

    public DashboardTests() => _silo = new SiloProcess(_dataDirectory.FullName, new Dictionary<string, string> { ["Broker:Dashboard"] = "true" });

    public async ValueTask InitializeAsync() => await _silo.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _silo.DisposeAsync();
        _dataDirectory.Delete(recursive: true);
    }

    [Fact]
    public async Task The_dashboard_serves_its_page_and_the_cluster_it_watches()
    {
        using var management = new ManagementEndpoint(_silo);

        var page = await management.GetUntilAsync("/dashboard/", (status, _) => status == HttpStatusCode.OK);
        var counters = await management.GetUntilAsync(
            "/dashboard/DashboardCounters", (status, body) => status == HttpStatusCode.OK && body.Contains(OneActiveSilo, StringComparison.Ordinal));

        Assert.Contains("<html", page.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(OneActiveSilo, counters.Body, StringComparison.Ordinal);
    }
}
