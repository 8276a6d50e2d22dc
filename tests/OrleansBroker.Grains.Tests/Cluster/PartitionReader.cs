using System.Text;
using OrleansBroker.Client.Producing;
using OrleansBroker.Records;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>Reads partition logs straight from their grains, to check what a test's producers had acknowledged.</summary>
public static class PartitionReader
{
    /// <summary>
    /// Asserts that each partition's log holds exactly the acknowledged records, at their acknowledged offsets, in
    /// order: none lost, none written twice.
    /// </summary>
    public static async Task AssertLogsHoldExactlyAsync(
        IGrainFactory grains, string topic, int partitions, IReadOnlyCollection<(ProduceResult Result, string Value)> acknowledged)
    {
        for (var p = 0; p < partitions; p++)
        {
            var expected = acknowledged.Where(a => a.Result.TopicPartition.Partition == p).OrderBy(a => a.Result.Offset).ToList();
            var actual = await ReadAsync(grains, new TopicPartition(topic, p));
            Assert.Equal(expected.Select(e => e.Value), actual.Select(a => a.Value));
            Assert.Equal(expected.Select(e => e.Result.Offset), actual.Select(a => a.Offset));
        }
    }

    /// <summary>Every record of a partition, from its first offset to its high watermark.</summary>
    public static async Task<List<(long Offset, string Value)>> ReadAsync(IGrainFactory grains, TopicPartition partition)
    {
        var grain = grains.GetGrain<IPartitionGrain>(partition.ToString());
        var records = new List<(long, string)>();
        var offset = 0L;
        while (true)
        {
            var fetched = await RetryAsync(() => grain.FetchAsync(offset, 1024 * 1024, TimeSpan.Zero).AsTask());
            var reader = new RecordBatchReader(fetched.Batches);
            while (reader.TryReadNext(out var record))
            {
                if (record.Offset >= offset)
                {
                    records.Add((record.Offset, Encoding.UTF8.GetString(record.Value.Span)));
                }
            }

            if (reader.NextOffset <= offset || reader.NextOffset >= fetched.HighWatermark)
            {
                return records;
            }

            offset = reader.NextOffset;
        }
    }

    /// <summary>Calls again while the partition moves to another silo.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (attempt < 50 && exception is StaleEpochException or SiloUnavailableException or TimeoutException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }
}
