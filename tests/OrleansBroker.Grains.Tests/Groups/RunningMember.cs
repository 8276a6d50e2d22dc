using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>A real <see cref="Consumer"/> in a group, consuming on a loop of its own and reporting to an <see cref="OwnershipTracker"/>.</summary>
internal sealed class RunningMember(Consumer consumer, CuttableGroupConnection connection, CancellationTokenSource stop, Task loop)
{
    public string MemberId { get; } = consumer.MemberId!;

    public CuttableGroupConnection Connection => connection;

    /// <summary>
    /// Subscribes a consumer named <paramref name="name"/> (for the tracker) over its own cuttable connection; the
    /// connection can be changed by <paramref name="configure"/> before it subscribes.
    /// </summary>
    public static async Task<RunningMember> StartAsync(
        IGrainFactory grainFactory, string name, string topic, string group, OwnershipTracker tracker, TimeSpan session,
        Action<CuttableGroupConnection>? configure = null)
    {
        var connection = CuttableGroupConnection.Create(grainFactory);
        configure?.Invoke(connection);
        var consumer = new BrokerClient(connection.GrainFactory).CreateConsumer(new ConsumerOptions
        {
            GroupId = group,
            SessionTimeout = session,
            AutoCommitInterval = TimeSpan.FromMilliseconds(20),
            MaxWait = TimeSpan.FromMilliseconds(200),
            PartitionsAssigned = partitions => tracker.AssignedAsync(name, partitions),
            PartitionsRevoked = partitions => tracker.RevokedAsync(name, partitions),
            PartitionsLost = partitions => tracker.RevokedAsync(name, partitions),
        });
        await consumer.SubscribeAsync([topic], TestContext.Current.CancellationToken);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var loop = Task.Run(async () =>
        {
            try
            {
                await foreach (var record in consumer.ConsumeAsync(stop.Token))
                {
                    tracker.Processed(name, record.TopicPartition, record.Offset);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped by the test.
            }
        }, TestContext.Current.CancellationToken);
        return new RunningMember(consumer, connection, stop, loop);
    }

    public async Task StopAsync(bool leave)
    {
        connection.IsCut = !leave;
        await stop.CancelAsync();
        await loop.WaitAsync(Patience.Records);
        stop.Dispose();
        if (leave)
        {
            await consumer.DisposeAsync().AsTask().WaitAsync(Patience.Records);
        }
        else
        {
            // A crashed member cannot reach its group; disposing only ends its (cut) heartbeat loop.
            await Assert.ThrowsAnyAsync<TimeoutException>(async () => await consumer.DisposeAsync());
        }
    }
}
