using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Core.Internal;
using OrleansBroker.Grains;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.Tests.Cluster;
using OrleansBroker.Records;
using OrleansBroker.Storage.Tests;

namespace OrleansBroker.Azure.Tests;

/// <summary>A silo on Azurite whose log store's requests pass through injected faults (<see cref="StorageFaults"/>).</summary>
public sealed class AzureClusterFaultTests() : AzureBrokerCluster(silos: 1, new StorageFaults())
{
    // The store's default of 4 attempts (3 retries).
    private const int Attempts = 4;

    // Three records of this size fill a segment of SmallSegments; the fourth rolls it.
    private const int LargeRecordBytes = 300 * 1024;

    // The smallest segments a topic takes.
    private static readonly TopicConfig SmallSegments = new() { Partitions = 1, SegmentBytes = 1024 * 1024, MaxMessageBytes = 512 * 1024 };

    // Far above what a retention check every second takes, even on a loaded machine.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_stored_by_an_append_whose_answers_were_all_lost_is_acknowledged_once_when_the_producer_retries_after_the_partition_reopens_its_log()
    {
        var topic = "faults-" + Suffix;
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using var producer = Broker.CreateProducer();
        Assert.Equal(0, (await producer.ProduceAsync(topic, null, "0")).Offset);

        // The append lands, but no attempt hears back: the partition fails it with a retriable storage error and
        // deactivates; the producer's retry reaches a new activation that reopened the log and finds the batch there.
        Faults.Inject(request => request.IsAppendBlock, Fault.ResponseLost, times: Attempts);
        var results = await Task.WhenAll(Enumerable.Range(1, 9).Select(i => producer.ProduceAsync(topic, null, Text(i)).AsTask()));

        Assert.Equal(0, Faults.Unused);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), results.Select(result => result.Offset).Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => ((long)i, Text(i))), await PartitionReader.ReadAsync(Cluster.Client, new TopicPartition(topic, 0)));
    }

    [Fact]
    public async Task A_fetch_that_storage_fails_past_its_retries_fails_with_a_retriable_storage_error_and_the_next_one_reads()
    {
        var topic = "faults-" + Suffix;
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using (var producer = Broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "0");
        }

        var partition = Partition(new TopicPartition(topic, 0));
        Faults.Inject(request => request.Method == global::Azure.Core.RequestMethod.Get, Fault.ServerBusy, times: Attempts);

        var failure = await Assert.ThrowsAsync<StorageErrorException>(async () => await partition.FetchAsync(0, 1024, TimeSpan.Zero));

        Assert.True(failure.IsRetriable);
        Assert.Equal([(0L, "0")], await PartitionReader.ReadAsync(Cluster.Client, new TopicPartition(topic, 0)));
    }

    [Fact]
    public async Task Retention_checks_that_storage_fails_log_a_warning_while_the_partition_keeps_serving_its_offsets_and_a_later_check_deletes_the_segments()
    {
        var topic = "retention-" + Suffix;
        var id = new TopicPartition(topic, 0);
        await Broker.Admin.CreateTopicAsync(topic, SmallSegments with { RetentionBytes = 1024 * 1024, RetentionMs = -1 });

        // Storage refuses every delete, so every retention check fails from the first segment past retention on.
        Faults.Inject(request => request.IsDelete, Fault.ConnectionRefused, times: int.MaxValue);
        await ProduceLargeAsync(topic, 10);

        // Ten records in segments [0-2] [3-5] [6-8] [9]: 1 MiB of retention keeps only the last, so log start moves to 9.
        var failed = await Logs.WaitForAsync(entry => entry.Level == LogLevel.Warning && IsAbout(entry, id) && Equals(entry.Values.GetValueOrDefault("LogStartOffset"), 9L))
            .WaitAsync(Bound, Cancellation);
        Assert.IsType<Storage.LogStorageException>(failed.Exception);
        var partition = Partition(id);
        var info = await partition.GetInfoAsync();
        Assert.Equal((9L, 10L), (info.LogStartOffset, info.HighWatermark));
        Assert.Equal(
            [LogBlobs.Segment(0, "index"), LogBlobs.Segment(0), LogBlobs.Segment(3, "index"), LogBlobs.Segment(3), LogBlobs.Segment(6, "index"), LogBlobs.Segment(6), LogBlobs.Segment(9), "leader-epoch"],
            LogBlobNames(id));

        // The same activation takes the next record at the next offset and serves reads from log start.
        Assert.Equal([10L], await ProduceLargeAsync(topic, 1));
        Assert.Equal([9L, 10L], Offsets(await partition.FetchAsync(9, 4 * LargeRecordBytes, TimeSpan.Zero)));
        Assert.Equal(FetchStatus.OffsetOutOfRange, (await partition.FetchAsync(0, 1024, TimeSpan.Zero)).Status);

        var resumed = Logs.WaitForAsync(entry => entry.Level == LogLevel.Information && IsAbout(entry, id) && entry.Values.ContainsKey("Failures"));
        Faults.Clear();
        await resumed.WaitAsync(Bound, Cancellation);

        Assert.Equal([LogBlobs.Segment(9), "leader-epoch"], LogBlobNames(id));
        await partition.Cast<IGrainManagementExtension>().DeactivateOnIdle(Cancellation);
        var reopened = await partition.GetInfoAsync();
        Assert.Equal((9L, 11L), (reopened.LogStartOffset, reopened.HighWatermark));
        Assert.Equal([9L, 10L], Offsets(await partition.FetchAsync(9, 4 * LargeRecordBytes, TimeSpan.Zero)));
    }

    [Fact]
    public async Task A_topic_delete_that_storage_fails_part_way_fails_retriably_the_partition_serves_nothing_even_reactivated_and_a_retried_delete_finishes()
    {
        var topic = "delete-" + Suffix;
        var id = new TopicPartition(topic, 0);
        await Broker.Admin.CreateTopicAsync(topic, SmallSegments);
        await ProduceLargeAsync(topic, 7);

        // The delete removes the first segment and its index, then storage refuses: what is left would open as a log
        // starting at offset 3.
        Faults.Inject(request => request.IsDelete, Fault.None, times: 2);
        Faults.Inject(request => request.IsDelete, Fault.ConnectionRefused, times: int.MaxValue);

        var failure = await Assert.ThrowsAsync<StorageErrorException>(() => Broker.Admin.DeleteTopicAsync(topic));

        Assert.True(failure.IsRetriable);
        Assert.Contains(id.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Equal([LogBlobs.Segment(3, "index"), LogBlobs.Segment(3), LogBlobs.Segment(6), "leader-epoch"], LogBlobNames(id));
        Assert.Contains(topic, await Broker.Admin.ListTopicsAsync());
        var partition = Partition(id);
        await AssertServesNothingAsync(partition);

        // Nor does its next activation, which does not even open what is left.
        var requests = Faults.Seen.Count;
        await partition.Cast<IGrainManagementExtension>().DeactivateOnIdle(Cancellation);
        await AssertServesNothingAsync(partition);
        Assert.Equal(requests, Faults.Seen.Count);

        Faults.Clear();
        await Broker.Admin.DeleteTopicAsync(topic);

        Assert.Empty(LogBlobNames(id));
        Assert.DoesNotContain(topic, await Broker.Admin.ListTopicsAsync());
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using (var producer = Broker.CreateProducer())
        {
            Assert.Equal(0, (await producer.ProduceAsync(topic, null, "again")).Offset);
        }

        Assert.Equal([(0L, "again")], await PartitionReader.ReadAsync(Cluster.Client, id));
    }

    /// <summary>Retention checks every second, so a test sees several in a few seconds.</summary>
    private protected override void ConfigureBroker(BrokerOptions options)
    {
        base.ConfigureBroker(options);
        options.RetentionCheckInterval = TimeSpan.FromSeconds(1);
    }

    private static async Task AssertServesNothingAsync(IPartitionGrain partition)
    {
        await Assert.ThrowsAsync<StorageErrorException>(async () => await partition.AppendAsync(TestBatches.Create(1)));
        await Assert.ThrowsAsync<StorageErrorException>(async () => await partition.FetchAsync(0, 1024, TimeSpan.Zero));
        await Assert.ThrowsAsync<StorageErrorException>(async () => await partition.GetInfoAsync());
    }

    private static bool IsAbout(LogEntry entry, TopicPartition partition) =>
        entry.Values.TryGetValue("Partition", out var about) && Equals(about, partition);

    private static List<long> Offsets(FetchResult fetched)
    {
        var offsets = new List<long>();
        var reader = new RecordBatchReader(fetched.Batches);
        while (reader.TryReadNext(out var record))
        {
            offsets.Add(record.Offset);
        }

        return offsets;
    }

    private static string Text(int i) => i.ToString(CultureInfo.InvariantCulture);

    private IPartitionGrain Partition(TopicPartition partition) => Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());

    /// <summary>Produces records of <see cref="LargeRecordBytes"/> one at a time, so each is a batch of its own; returns their offsets.</summary>
    private async Task<List<long>> ProduceLargeAsync(string topic, int count)
    {
        var offsets = new List<long>();
        await using var producer = Broker.CreateProducer();
        for (var i = 0; i < count; i++)
        {
            offsets.Add((await producer.ProduceAsync(topic, null, new byte[LargeRecordBytes])).Offset);
        }

        return offsets;
    }
}
