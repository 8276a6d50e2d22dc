using System.Diagnostics;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// Three silo processes sharing Azurite, under load from idempotent producers and a consumer group in the test process:
/// one silo is killed with SIGKILL and started again, or all three are restarted one after the other with SIGTERM.
/// Nothing acknowledged is lost, written twice or reordered, and the group reads everything from its committed offsets.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Silos = 3;
    private const int Partitions = 6;
    private const int Producers = 2;
    private const int Consumers = 2;

    // Records acknowledged between two steps: each step starts only once the cluster has moved on from the last one.
    private const int RecordsPerStep = 2_000;

    [Fact]
    public Task A_silo_killed_under_load_loses_no_acknowledged_record_and_its_partitions_take_writes_once_it_is_declared_dead() =>
        RunUnderLoadAsync(async (cluster, workload, cancellationToken) =>
        {
            var hosts = await cluster.HostsOfAsync(workload.PartitionKeys, cancellationToken);
            Assert.NotEmpty(hosts);
            var victim = hosts.Values.GroupBy(silo => silo).MaxBy(held => held.Count())!.Key;
            var moved = hosts.Where(h => h.Value == victim).Select(h => h.Key).Order(StringComparer.Ordinal).ToList();
            var address = await cluster.WaitUntilActiveAsync(victim, cancellationToken);

            var killed = Stopwatch.GetTimestamp();
            await victim.KillAsync();
            var declaredDead = ElapsedWhenDoneAsync(cluster.WaitUntilDeadAsync(address, cancellationToken), killed);
            var writable = await workload.ProbeEveryPartitionAsync(killed, cancellationToken);
            var detection = await declaredDead;

            output.WriteLine($"Killed silo {address}, which held {string.Join(", ", moved)}.");
            output.WriteLine($"Failure detection (kill to declared dead): {Seconds(detection)}.");
            output.WriteLine($"Kill to writable on every partition: {Seconds(writable.Max())} (per partition: {string.Join(", ", writable.Select(Seconds))}).");

            await workload.WaitForAcknowledgedAsync(workload.Acknowledged + RecordsPerStep, cancellationToken);
            var restarting = Stopwatch.GetTimestamp();
            await victim.StartAsync(cancellationToken);
            await cluster.WaitUntilActiveAsync(victim, cancellationToken);
            output.WriteLine($"Restarted silo active again after {Seconds(Stopwatch.GetElapsedTime(restarting))}.");
            await workload.WaitForAcknowledgedAsync(workload.Acknowledged + RecordsPerStep, cancellationToken);
        });

    [Fact]
    public Task A_rolling_restart_with_SIGTERM_under_load_loses_no_acknowledged_record_and_fails_no_produce() =>
        RunUnderLoadAsync(async (cluster, workload, cancellationToken) =>
        {
            foreach (var silo in cluster.Silos)
            {
                var stopping = Stopwatch.GetTimestamp();
                var exitCode = await silo.StopAsync(cancellationToken);
                var stopped = Stopwatch.GetElapsedTime(stopping);
                Assert.True(exitCode == 0, $"The silo exited with {exitCode} on SIGTERM:{Environment.NewLine}{silo.RecentLog}");

                var starting = Stopwatch.GetTimestamp();
                await silo.StartAsync(cancellationToken);
                await cluster.WaitUntilActiveAsync(silo, cancellationToken);
                output.WriteLine($"Silo port {silo.SiloPort}: shut down in {Seconds(stopped)}, active again {Seconds(Stopwatch.GetElapsedTime(starting))} after its start.");
                await workload.WaitForAcknowledgedAsync(workload.Acknowledged + RecordsPerStep, cancellationToken);
            }
        });

    private static async Task<TimeSpan> ElapsedWhenDoneAsync(Task task, long since)
    {
        await task;
        return Stopwatch.GetElapsedTime(since);
    }

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds:F2} s";

    /// <summary>
    /// Starts the cluster and the workload, lets it run, applies <paramref name="disturb"/>, then stops the producers,
    /// lets the group read everything, and checks the log, the acknowledgements and what the group was handed.
    /// </summary>
    private async Task RunUnderLoadAsync(Func<AzuriteCluster, ClusterWorkload, CancellationToken, Task> disturb)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        await using var cluster = await AzuriteCluster.StartAsync(Silos, cancellationToken);
        output.WriteLine($"{Silos} silos active after {Seconds(clock.Elapsed)}.");
        try
        {
            await using var workload = await ClusterWorkload.StartAsync(cluster.Broker, Partitions, Producers, Consumers, cancellationToken);
            await workload.WaitForAcknowledgedAsync(RecordsPerStep, cancellationToken);
            await disturb(cluster, workload, cancellationToken);
            await workload.StopProducersAsync();
            await workload.DrainAsync(cancellationToken);
            output.WriteLine((await workload.VerifyAsync(cancellationToken)).ToString());
        }
        catch
        {
            output.WriteLine(cluster.RecentLogs);
            throw;
        }

        output.WriteLine($"The test took {Seconds(clock.Elapsed)}.");
    }
}
