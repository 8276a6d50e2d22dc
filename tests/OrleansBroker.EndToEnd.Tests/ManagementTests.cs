using System.Net;
using System.Text.RegularExpressions;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>The silo's management port: liveness and readiness for orchestrators, and metrics for Prometheus.</summary>
[Collection(nameof(SharedSilo))]
public sealed class ManagementTests(SiloFixture fixture)
{
    [Fact]
    public async Task A_started_silo_is_live_and_ready()
    {
        using var management = new ManagementEndpoint(fixture.Silo);

        var ready = await management.GetUntilAsync("/health/ready", (status, _) => status == HttpStatusCode.OK);
        var live = await management.GetUntilAsync("/health/live", (_, _) => true);

        Assert.Equal("Healthy", ready.Body);
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("Healthy", live.Body);
    }

    [Fact]
    public async Task Metrics_count_a_produced_record_under_its_topic()
    {
        var topic = $"metrics-{Guid.NewGuid():N}";
        using var management = new ManagementEndpoint(fixture.Silo);
        var created = await Obroker.RunAsync(fixture.Silo.Broker, "topics", "create", topic, "--partitions", "1");
        Assert.True(created.ExitCode == 0, created.ToString());

        var produced = await Obroker.RunWithInputAsync(fixture.Silo.Broker, "hello\n", "produce", topic);
        Assert.True(produced.ExitCode == 0, produced.ToString());

        // The exporter caches a scrape for a moment, so an earlier scrape may not show the record yet.
        var recordsIn = new Regex($@"^orleansbroker_records_in_total\{{[^}}]*topic=""{topic}""[^}}]*\}} 1$", RegexOptions.Multiline);
        var scraped = await management.GetUntilAsync("/metrics", (status, body) => status == HttpStatusCode.OK && recordsIn.IsMatch(body));
        Assert.Matches($@"(?m)^orleansbroker_append_duration_milliseconds_count\{{[^}}]*topic=""{topic}""[^}}]*\}} 1$", scraped.Body);
        Assert.Contains("otel_scope_name=\"Microsoft.Orleans\"", scraped.Body, StringComparison.Ordinal);
    }
}
