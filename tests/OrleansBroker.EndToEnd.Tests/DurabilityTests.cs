using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>A broker killed without warning keeps every record it acknowledged, and every offset a group committed.</summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private const int RecordCount = 2000;
    private const int ConsumedBeforeKill = 5;
    private readonly DirectoryInfo _dataDirectory = Directory.CreateTempSubdirectory("obroker-durability-");
    private readonly SiloProcess _silo;

    public DurabilityTests() => _silo = new SiloProcess(_dataDirectory.FullName);

    public async ValueTask InitializeAsync() => await _silo.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _silo.DisposeAsync();
        _dataDirectory.Delete(recursive: true);
    }

    [Fact]
    public async Task Acknowledged_records_and_committed_group_offsets_survive_a_silo_kill()
    {
        var records = Enumerable.Range(0, RecordCount).Select(i => string.Create(CultureInfo.InvariantCulture, $"record-{i:D5}")).ToArray();
        var created = await Obroker.RunAsync(_silo.Broker, "topics", "create", "durable", "--partitions", "1");
        Assert.True(created.ExitCode == 0, created.ToString());

        // Exit code 0 means every record was acknowledged, which the broker does only once it is fsynced.
        var produced = await Obroker.RunWithInputAsync(_silo.Broker, string.Join('\n', records), "produce", "durable");
        var firstOfGroup = await Obroker.RunAsync(
            _silo.Broker, "consume", "durable", "--group", "readers", "--from-beginning", "--max-messages", ConsumedBeforeKill.ToString(CultureInfo.InvariantCulture));
        Assert.True(produced.ExitCode == 0, produced.ToString());
        Assert.Equal(records.Take(ConsumedBeforeKill), firstOfGroup.Lines);

        await _silo.KillAsync();
        await _silo.StartAsync(TestContext.Current.CancellationToken);

        var all = await Obroker.RunAsync(_silo.Broker, "consume", "durable", "--from-beginning", "--max-messages", RecordCount.ToString(CultureInfo.InvariantCulture));
        // --from-beginning applies only without a committed offset: a lost commit would show as records from 0.
        var restOfGroup = await Obroker.RunAsync(
            _silo.Broker, "consume", "durable", "--group", "readers", "--from-beginning", "--timeout-ms", "5000",
            "--max-messages", (RecordCount - ConsumedBeforeKill).ToString(CultureInfo.InvariantCulture));
        var afterGroupDone = await Obroker.RunAsync(_silo.Broker, "consume", "durable", "--group", "readers", "--from-beginning", "--timeout-ms", "1000");
        var described = await Obroker.RunAsync(_silo.Broker, "topics", "describe", "durable");

        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal(records, all.Lines);
        Assert.True(restOfGroup.ExitCode == 0, restOfGroup.ToString());
        Assert.Equal(records.Skip(ConsumedBeforeKill), restOfGroup.Lines);
        Assert.True(afterGroupDone.ExitCode == 0, afterGroupDone.ToString());
        Assert.Empty(afterGroupDone.Lines);
        Assert.Equal(RecordCount, Assert.Single(PartitionRow.Parse(described)).HighWatermark);
    }
}
