using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Producing;
using OrleansBroker.Records;

namespace OrleansBroker.Grains.Tests.Cluster;

[Collection(BrokerClusterDefinition.Name)]
public sealed class ProduceConsumeTests(BrokerClusterFixture fixture)
{
    [Fact]
    public async Task Keyed_records_land_on_the_murmur2_partition_and_come_back_in_order()
    {
        var topic = await NewTopicAsync(partitions: 4);
        await using var producer = fixture.Broker.CreateProducer();

        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            producer.ProduceAsync(topic, $"key-{i % 10}", $"value-{i}").AsTask()));
        var consumed = await ConsumeAsync(topic, 400);

        foreach (var (result, i) in results.Select((r, i) => (r, i)))
        {
            Assert.Equal(DefaultPartitioner.Partition(Encoding.UTF8.GetBytes($"key-{i % 10}"), 4), result.TopicPartition.Partition);
        }

        Assert.Equal(
            results.Select((r, i) => (r.TopicPartition, r.Offset, $"value-{i}")).OrderBy(x => x.TopicPartition.Partition).ThenBy(x => x.Offset),
            consumed.Select(c => (c.TopicPartition, c.Offset, c.Value)).OrderBy(x => x.TopicPartition.Partition).ThenBy(x => x.Offset));
        foreach (var partition in consumed.GroupBy(c => c.TopicPartition))
        {
            var values = partition.Select(c => int.Parse(c.Value["value-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(values.Order(), values);
        }
    }

    [Fact]
    public async Task A_consumer_of_a_thousand_partitions_reads_every_record_once_while_most_of_its_fetches_wait_empty()
    {
        const int Partitions = 1_000;
        var topic = await NewTopicAsync(Partitions);
        await using var producer = fixture.Broker.CreateProducer();
        var produced = await Task.WhenAll(Enumerable.Range(0, 3 * Partitions / 2).Select(i =>
            producer.ProduceAsync(new TopicPartition(topic, i % (Partitions / 2) * 2), null, Encoding.UTF8.GetBytes($"value-{i}")).AsTask()));

        var consumed = await ConsumeAsync(topic, produced.Length);

        Assert.Equal(
            produced.Select(r => (r.TopicPartition.Partition, r.Offset)).Order(),
            consumed.Select(c => (c.TopicPartition.Partition, c.Offset)).Order());
    }

    [Fact]
    public async Task Null_keys_null_values_empty_values_and_headers_round_trip()
    {
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer();

        await producer.ProduceAsync(topic, default(ReadOnlyMemory<byte>?), default(ReadOnlyMemory<byte>?));
        await producer.ProduceAsync(topic, Array.Empty<byte>(), Array.Empty<byte>(), new[] { new RecordHeader("trace", new byte[] { 1, 2 }), new RecordHeader("nil", null) });
        await using var consumer = fixture.Broker.CreateConsumer();
        await consumer.AssignAsync(topic, TestContext.Current.CancellationToken);
        var records = new List<(bool KeyNull, bool ValueNull, int ValueLength, RecordHeader[] Headers)>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience.Records);
        await foreach (var result in consumer.ConsumeAsync(timeout.Token))
        {
            records.Add((result.Key is null, result.Value is null, result.Value?.Length ?? -1, result.Headers.ToArray()));
            if (records.Count == 2)
            {
                break;
            }
        }

        Assert.Equal((true, true), (records[0].KeyNull, records[0].ValueNull));
        Assert.Equal((false, false, 0), (records[1].KeyNull, records[1].ValueNull, records[1].ValueLength));
        Assert.Equal(["trace", "nil"], records[1].Headers.Select(h => h.Key));
        Assert.Equal(new byte[] { 1, 2 }, records[1].Headers[0].Value!.Value.ToArray());
        Assert.Null(records[1].Headers[1].Value);
    }

    [Fact]
    public async Task A_consumer_group_resumes_after_its_committed_offset()
    {
        var topic = await NewTopicAsync(partitions: 2);
        var group = $"g-{Guid.NewGuid():N}";
        await using (var producer = fixture.Broker.CreateProducer())
        {
            for (var i = 0; i < 20; i++)
            {
                _ = producer.ProduceAsync(new TopicPartition(topic, i % 2), null, Encoding.UTF8.GetBytes($"r{i}")).AsTask();
            }
        }

        var first = await ConsumeAsync(topic, 6, new ConsumerOptions { GroupId = group, EnableAutoCommit = false }, commit: true);
        var rest = await ConsumeAsync(topic, 14, new ConsumerOptions { GroupId = group, EnableAutoCommit = false });

        Assert.Equal(20, first.Concat(rest).Select(r => r.Value).Distinct().Count());
        var committed = await fixture.Broker.Admin.ListCommittedOffsetsAsync(group, [new(topic, 0), new(topic, 1)]);
        Assert.Equal(6, committed.Sum(c => c.Offset));
    }

    [Fact]
    public async Task Seeking_moves_the_position_to_the_beginning_end_offset_and_timestamp()
    {
        var topic = await NewTopicAsync();
        var partition = new TopicPartition(topic, 0);
        await using (var producer = fixture.Broker.CreateProducer())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(partition, null, Encoding.UTF8.GetBytes($"r{i}"));
            }
        }

        await using var consumer = fixture.Broker.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Latest });
        await consumer.AssignAsync(topic, TestContext.Current.CancellationToken);
        Assert.Equal(10, consumer.Position(partition));

        await consumer.SeekToBeginningAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, consumer.Position(partition));

        consumer.Seek(partition, 7);
        var afterSeek = await TakeAsync(consumer, 3);
        Assert.Equal(["r7", "r8", "r9"], afterSeek.Select(r => r.Value));

        await consumer.SeekToTimestampAsync(DateTimeOffset.UtcNow.AddHours(1), TestContext.Current.CancellationToken);
        Assert.Equal(10, consumer.Position(partition));
    }

    [Fact]
    public async Task A_full_buffer_waits_for_acknowledgements_and_keeps_order()
    {
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer(new ProducerOptions { BufferBytes = 4096, BatchBytes = 1024 });

        var results = new List<Task<ProduceResult>>();
        for (var i = 0; i < 500; i++)
        {
            results.Add(producer.ProduceAsync(topic, null, Encoding.UTF8.GetBytes($"r{i:D4}")).AsTask());
        }

        var offsets = new List<long>();
        foreach (var result in results)
        {
            offsets.Add((await result).Offset);
        }

        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), offsets);
        await WaitUntilNothingBufferedAsync(producer);
    }

    [Fact]
    public async Task A_full_buffer_throws_when_told_not_to_wait()
    {
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer(new ProducerOptions
        {
            BufferBytes = 2048,
            BatchBytes = 1024,
            WhenBufferFull = BufferFullMode.Throw,
        });
        await producer.ProduceAsync(topic, null, "warm-up: the topic's metadata is cached");

        Assert.Throws<ProducerBufferFullException>(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                _ = producer.ProduceAsync(topic, null, new byte[100]).AsTask();
            }
        });
    }

    [Fact]
    [SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "Each acknowledgement is kept to be awaited once, after the loop, as a caller with many records in flight does.")]
    public async Task Producing_on_the_fast_path_allocates_nothing_per_record()
    {
        // Arrange: one partition and a long linger put a round's records into one batch. A first round loads the topic's
        // route and grows a batch buffer. The producer puts that buffer back in its pool after the acknowledgement and
        // before it releases the batch's bytes, so once nothing is buffered the measured round finds the buffer pooled.
        const int Records = 3_000;
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMinutes(10) });
        var value = new byte[100];
        var acks = new ValueTask<ProduceResult>[Records];
        await ProduceRoundAsync();
        await WaitUntilNothingBufferedAsync(producer);

        // Act
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Records; i++)
        {
            acks[i] = producer.ProduceAsync(topic, null, value);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await producer.FlushAsync(TestContext.Current.CancellationToken);
        var offsets = new List<long>();
        foreach (var ack in acks)
        {
            offsets.Add((await ack).Offset);
        }

        // Assert: what a batch costs (its bookkeeping objects) spread over its records stays under a byte each.
        Assert.Equal(Enumerable.Range(Records, Records).Select(i => (long)i), offsets);
        Assert.True(allocated < Records, $"Producing {Records} records allocated {allocated} bytes on the calling thread.");

        async Task ProduceRoundAsync()
        {
            for (var i = 0; i < Records; i++)
            {
                acks[i] = producer.ProduceAsync(topic, null, value);
            }

            await producer.FlushAsync(TestContext.Current.CancellationToken);
            foreach (var ack in acks)
            {
                await ack;
            }
        }
    }

    [Fact]
    [SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "The loop reads a MoveNextAsync only when it completed at once, and stops at the first that did not.")]
    public async Task Consuming_the_records_of_a_fetched_batch_allocates_nothing_per_record()
    {
        // Arrange: one batch of records, and a consumer whose first record brought that whole batch in one fetch.
        const int Records = 2_000;
        var topic = await NewTopicAsync();
        await using (var producer = fixture.Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMinutes(10) }))
        {
            var value = new byte[100];
            var acks = Enumerable.Range(0, Records).Select(_ => producer.ProduceAsync(topic, null, value).AsTask()).ToList();
            await producer.FlushAsync(TestContext.Current.CancellationToken);
            await Task.WhenAll(acks);
        }

        await using var consumer = fixture.Broker.CreateConsumer();
        await consumer.AssignAsync(topic, TestContext.Current.CancellationToken);
        await using var records = consumer.ConsumeAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await records.MoveNextAsync());

        // Act: the rest of the batch is handed out without waiting, so on this thread.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var handedOut = 1;
        long lastOffset = 0;
        while (handedOut < Records && records.MoveNextAsync() is { IsCompletedSuccessfully: true, Result: true })
        {
            lastOffset = records.Current.Offset;
            handedOut++;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal((Records, Records - 1L), (handedOut, lastOffset));
        Assert.True(allocated < Records, $"Handing out {Records - 1} records allocated {allocated} bytes.");
    }

    [Fact]
    public async Task Flush_sends_lingering_records_at_once()
    {
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMinutes(10) });

        var pending = producer.ProduceAsync(topic, null, "lingering").AsTask();
        await producer.FlushAsync(TestContext.Current.CancellationToken);

        Assert.True(pending.IsCompletedSuccessfully);
        Assert.Equal(0, (await pending).Offset);
    }

    [Fact]
    public async Task A_lingering_batch_goes_when_the_clients_time_provider_says_its_linger_is_over()
    {
        var topic = await NewTopicAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var producer = new BrokerClient(fixture.Cluster.Client, timeProvider: clock)
            .CreateProducer(new ProducerOptions { Linger = TimeSpan.FromHours(1) });

        var produced = producer.ProduceAsync(topic, null, "lingering").AsTask();
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);
        Assert.False(produced.IsCompleted);

        // Hours pass on the client's clock, not on the wall clock (a step may come before the record's batch opens).
        var started = TimeProvider.System.GetTimestamp();
        while (!produced.IsCompleted && TimeProvider.System.GetElapsedTime(started) < Patience.Records)
        {
            clock.Advance(TimeSpan.FromHours(1));
            await Task.WhenAny(produced, Task.Delay(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken));
        }

        Assert.True(produced.IsCompleted, "The batch still lingers.");
        Assert.Equal(0, (await produced).Offset);
    }

    [Fact]
    public async Task Keyless_records_move_to_another_partition_with_each_new_batch_even_when_batches_linger_out()
    {
        var topic = await NewTopicAsync(partitions: 4);
        await using var producer = fixture.Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.Zero });
        // About 110 bytes a record once encoded: two fit a batch, a third does not.
        await using var filling = fixture.Broker.CreateProducer(
            new ProducerOptions { Linger = TimeSpan.FromMinutes(10), BatchBytes = RecordBatch.HeaderSize + 250 });
        var value = new byte[100];

        // Each record, awaited before the next, is sent alone: its batch is over before the next record comes.
        var lingered = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            lingered.Add((await producer.ProduceAsync(topic, null, $"slow-{i}")).TopicPartition.Partition);
        }

        // Records that fill a batch stay together until the next one would not fit.
        var sent = Enumerable.Range(0, 6).Select(_ => filling.ProduceAsync(topic, null, value).AsTask()).ToList();
        await filling.FlushAsync(TestContext.Current.CancellationToken);
        var filled = await Task.WhenAll(sent);

        Assert.All(lingered.Zip(lingered.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        var batches = filled.Select(r => r.TopicPartition.Partition).Chunk(2).ToList();
        Assert.All(batches, batch => Assert.Equal(batch[0], batch[1]));
        Assert.All(batches.Zip(batches.Skip(1)), pair => Assert.NotEqual(pair.First[0], pair.Second[0]));
    }

    [Fact]
    public async Task A_record_larger_than_the_topic_allows_fails_alone()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic, new TopicConfig { MaxMessageBytes = 1024 });
        await using var producer = fixture.Broker.CreateProducer();
        await producer.ProduceAsync(topic, null, "small");

        await Assert.ThrowsAsync<RecordTooLargeException>(() => producer.ProduceAsync(topic, null, new byte[4096]).AsTask());
        Assert.Equal(1, (await producer.ProduceAsync(topic, null, "after")).Offset);
    }

    [Fact]
    public async Task A_partition_added_after_the_producer_started_is_found_when_produced_to()
    {
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer();
        await producer.ProduceAsync(topic, null, "before");

        await fixture.Broker.Admin.AddPartitionsAsync(topic, 3);
        var result = await producer.ProduceAsync(new TopicPartition(topic, 2), null, Encoding.UTF8.GetBytes("after"));

        Assert.Equal((2, 0L), (result.TopicPartition.Partition, result.Offset));
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(
            () => producer.ProduceAsync(new TopicPartition(topic, 3), null, Encoding.UTF8.GetBytes("none")).AsTask());
    }

    [Fact]
    public async Task Keyed_records_move_to_added_partitions_once_the_metadata_is_refreshed()
    {
        var topic = await NewTopicAsync();
        await using var producer = fixture.Broker.CreateProducer(new ProducerOptions { MetadataMaxAge = TimeSpan.Zero });
        var key = Enumerable.Range(0, 100).Select(i => Encoding.UTF8.GetBytes($"key-{i}")).First(k => DefaultPartitioner.Partition(k, 3) == 2);
        Assert.Equal(0, (await producer.ProduceAsync(topic, key, Encoding.UTF8.GetBytes("v"))).TopicPartition.Partition);

        await fixture.Broker.Admin.AddPartitionsAsync(topic, 3);
        var partition = 0;
        for (var attempt = 0; attempt < 1_000 && partition == 0; attempt++)
        {
            partition = (await producer.ProduceAsync(topic, key, Encoding.UTF8.GetBytes("v"))).TopicPartition.Partition;
        }

        Assert.Equal(2, partition);
    }

    [Fact]
    public async Task A_batch_corrupted_on_disk_ends_the_stream_with_a_corrupt_record_error_after_the_records_before_it()
    {
        // Arrange: two batches, then one byte of the second one's last record flipped in the segment file.
        var topic = await NewTopicAsync();
        await using (var producer = fixture.Broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "first");
            await producer.ProduceAsync(topic, null, "second");
        }

        var segment = Directory.GetFiles(fixture.DataDirectory, "*.log", SearchOption.AllDirectories)
            .Single(file => Path.GetFileName(Path.GetDirectoryName(file)) == $"{topic}-0");
        await using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = file.Length - 1;
            var last = (byte)file.ReadByte();
            file.Position = file.Length - 1;
            file.WriteByte((byte)(last ^ 0xFF));
        }

        await using var consumer = fixture.Broker.CreateConsumer();
        await consumer.AssignAsync(topic, TestContext.Current.CancellationToken);
        var values = new List<string>();

        // Act
        var corrupt = await Assert.ThrowsAsync<CorruptRecordException>(async () =>
        {
            await foreach (var result in consumer.ConsumeAsync(TestContext.Current.CancellationToken))
            {
                values.Add(Encoding.UTF8.GetString(result.Value!.Value.Span));
            }
        }).WaitAsync(Patience.Records, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(["first"], values);
        Assert.Contains(new TopicPartition(topic, 0).ToString(), corrupt.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_ends_when_the_token_given_to_its_enumerator_is_cancelled()
    {
        // Arrange
        var topic = await NewTopicAsync();
        await using (var producer = fixture.Broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "only");
        }

        await using var consumer = fixture.Broker.CreateConsumer();
        await consumer.AssignAsync(topic, TestContext.Current.CancellationToken);
        using var stop = new CancellationTokenSource();
        var received = 0;

        // Act: the stream itself has no token; only the enumerator's can end it while it waits for more records.
        var reading = Task.Run(
            async () =>
            {
                await foreach (var _ in consumer.ConsumeAsync().WithCancellation(stop.Token))
                {
                    received++;
                    await stop.CancelAsync();
                }
            },
            TestContext.Current.CancellationToken);

        // Assert
        await reading.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
        Assert.Equal(1, received);
    }

    /// <summary>
    /// Waits until the producer holds no bytes: a record's task completes before its batch's bytes are released, so right
    /// after the last acknowledgement some may still count. Fails the test if they are not released within its patience.
    /// </summary>
    private static async Task WaitUntilNothingBufferedAsync(Producer producer)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (producer.BufferedBytes > 0)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < Patience.Records, $"The producer still buffers {producer.BufferedBytes} bytes.");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private async Task<string> NewTopicAsync(int partitions = 1)
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = partitions });
        return topic;
    }

    private async Task<List<Consumed>> ConsumeAsync(string topic, int count, ConsumerOptions? options = null, bool commit = false)
    {
        await using var consumer = fixture.Broker.CreateConsumer(options);
        await consumer.AssignAsync(topic, TestContext.Current.CancellationToken);
        var records = await TakeAsync(consumer, count);
        if (commit)
        {
            await consumer.CommitAsync(TestContext.Current.CancellationToken);
        }

        return records;
    }

    private static async Task<List<Consumed>> TakeAsync(Consumer consumer, int count)
    {
        var records = new List<Consumed>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Patience.Records);
        await foreach (var result in consumer.ConsumeAsync(timeout.Token))
        {
            records.Add(new Consumed(result.TopicPartition, result.Offset, Encoding.UTF8.GetString(result.Value!.Value.Span)));
            if (records.Count == count)
            {
                break;
            }
        }

        return records;
    }

    private sealed record Consumed(TopicPartition TopicPartition, long Offset, string Value);
}
