using System.Text;
using OrleansBroker.Records;

namespace OrleansBroker.Grains.Tests.Cluster;

[Collection(BrokerClusterDefinition.Name)]
public sealed class PartitionGrainTests(BrokerClusterFixture fixture)
{
    [Fact]
    public async Task Appends_get_consecutive_offsets_and_fetch_returns_the_stored_batches()
    {
        var partition = await NewPartitionAsync();

        var first = await partition.AppendAsync(Batch(0, 3));
        var second = await partition.AppendAsync(Batch(3, 2));
        var fetched = await partition.FetchAsync(0, 1024 * 1024, TimeSpan.Zero);

        Assert.Equal((0L, 3L), (first, second));
        Assert.Equal(FetchStatus.Ok, fetched.Status);
        Assert.Equal(5, fetched.HighWatermark);
        Assert.Equal(["v0", "v1", "v2", "v3", "v4"], Values(fetched.Batches));
    }

    [Fact]
    public async Task Every_single_byte_corruption_is_refused_and_writes_nothing()
    {
        var partition = await NewPartitionAsync();
        var batch = Batch(0, 2);

        // The base offset (bytes 0-7) and the leader epoch (12-15) are the broker's to write, outside the CRC.
        foreach (var position in Enumerable.Range(0, batch.Length).Where(p => p is >= 8 and not (>= 12 and < 16)))
        {
            var corrupt = batch.ToArray();
            corrupt[position] ^= 0x5A;
            var error = await Assert.ThrowsAnyAsync<BrokerException>(() => partition.AppendAsync(corrupt).AsTask());
            Assert.Contains(error.ErrorCode, new[] { ErrorCode.CorruptRecord, ErrorCode.RecordTooLarge });
        }

        Assert.Equal(0, (await partition.GetInfoAsync()).HighWatermark);
        Assert.Equal(0, await partition.AppendAsync(batch));
    }

    [Fact]
    public async Task A_batch_larger_than_max_message_bytes_is_refused()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic, new TopicConfig { MaxMessageBytes = 1024 });
        var partition = fixture.Cluster.Client.GetGrain<IPartitionGrain>(new TopicPartition(topic, 0).ToString());

        using var builder = new RecordBatchBuilder();
        builder.Append(1, default, true, new byte[2000], false, default);

        await Assert.ThrowsAsync<RecordTooLargeException>(() => partition.AppendAsync(builder.Build().ToArray()).AsTask());
        Assert.Equal(0, (await partition.GetInfoAsync()).HighWatermark);
    }

    [Fact]
    public async Task Garbage_and_empty_input_are_corrupt_records()
    {
        var partition = await NewPartitionAsync();

        await Assert.ThrowsAsync<CorruptRecordException>(() => partition.AppendAsync(Array.Empty<byte>()).AsTask());
        await Assert.ThrowsAsync<CorruptRecordException>(() => partition.AppendAsync(new byte[100]).AsTask());
        await Assert.ThrowsAsync<CorruptRecordException>(() => partition.AppendAsync(Batch(0, 1).Concat(Batch(0, 1)).ToArray()).AsTask());
    }

    [Fact]
    public async Task A_waiting_fetch_does_not_block_appends_and_returns_them()
    {
        var partition = await NewPartitionAsync();

        // The fetch waits far longer than the test; if it blocked the append, the append would only finish after the
        // fetch gave up empty-handed, and the fetch would then have no records.
        var fetch = partition.FetchAsync(0, 1024 * 1024, TimeSpan.FromSeconds(30)).AsTask();
        await partition.AppendAsync(Batch(0, 1));
        var fetched = await fetch;

        Assert.Equal(["v0"], Values(fetched.Batches));
    }

    [Fact]
    public async Task Fetch_outside_the_log_reports_offset_out_of_range()
    {
        var partition = await NewPartitionAsync();
        await partition.AppendAsync(Batch(0, 2));

        var fetched = await partition.FetchAsync(3, 1024, TimeSpan.Zero);

        Assert.Equal(FetchStatus.OffsetOutOfRange, fetched.Status);
        Assert.Equal(2, fetched.HighWatermark);
        await Assert.ThrowsAsync<InvalidRequestException>(() => partition.FetchAsync(0, 0, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task List_offsets_finds_earliest_latest_and_by_timestamp()
    {
        var partition = await NewPartitionAsync();
        await partition.AppendAsync(Batch(0, 2, timestamp: 1_000));
        await partition.AppendAsync(Batch(2, 2, timestamp: 2_000));

        Assert.Equal(0, await partition.ListOffsetsAsync(OffsetSpec.Earliest));
        Assert.Equal(4, await partition.ListOffsetsAsync(OffsetSpec.Latest));
        Assert.Equal(2, await partition.ListOffsetsAsync(OffsetSpec.ForTimestamp(1_500)));
        Assert.Null(await partition.ListOffsetsAsync(OffsetSpec.ForTimestamp(9_000)));
    }

    private async Task<IPartitionGrain> NewPartitionAsync()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic);
        return fixture.Cluster.Client.GetGrain<IPartitionGrain>(new TopicPartition(topic, 0).ToString());
    }

    private static byte[] Batch(int firstValue, int count, long timestamp = 1_000)
    {
        using var builder = new RecordBatchBuilder();
        for (var i = 0; i < count; i++)
        {
            builder.Append(timestamp, default, true, Encoding.UTF8.GetBytes($"v{firstValue + i}"), false, default);
        }

        return builder.Build().ToArray();
    }

    private static List<string> Values(ReadOnlyMemory<byte> batches)
    {
        var values = new List<string>();
        var reader = new RecordBatchReader(batches);
        while (reader.TryReadNext(out var record))
        {
            values.Add(Encoding.UTF8.GetString(record.Value.Span));
        }

        Assert.Equal(BatchStatus.Valid, reader.Status);
        return values;
    }
}
