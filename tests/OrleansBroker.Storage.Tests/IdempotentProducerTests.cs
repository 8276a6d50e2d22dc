using CsCheck;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// The log's idempotent-producer state: a retried batch is acknowledged with its original offset and written
/// once, the next sequence is written, anything else from a producer is refused and writes nothing.
/// </summary>
public sealed class IdempotentProducerTests : IDisposable
{
    private const long ProducerId = 42;
    private const short Epoch = 3;

    private static readonly LogPartition Partition = new("orders", 0);

    private readonly TestStores _stores = new();

    public static TheoryData<string> Backends => TestStores.Backends;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _stores.Dispose();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Reopening_reads_the_producer_state_of_the_last_sealed_segment_a_chunk_at_a_time(string backend)
    {
        // About 3,000 small batches: two segments of ~120 KB, the first one sealed.
        var config = LogConfig.Default with { SegmentBytes = 128 * 1024 };
        var fences = new EpochFenceRegistry();
        var batches = Enumerable.Range(0, 3_000).Select(i => TestBatches.FromProducer(ProducerId, Epoch, i, records: 1)).ToList();
        var directory = _stores.OpenDirectory(backend, Partition);
        await using (var log = PartitionLog.Open(Partition, 1, config, _stores.Time, directory, fences, Partition.ToString()))
        {
            await Task.WhenAll(batches.Select(batch => log.AppendAsync(batch, Cancellation).AsTask()));
            Assert.Equal(2, ((PartitionLog)log).Segments.Count);
        }

        var counting = new CountingLogDirectory(directory);
        await using var reopened = PartitionLog.Open(Partition, 2, config, _stores.Time, counting, fences, Partition.ToString());

        // A read per batch header (one disk read each with direct I/O) would be ~1,500; chunks of 1 MiB take a few.
        Assert.InRange(counting.Reads, 1, 10);
        Assert.Equal(batches.Count - 1, await reopened.AppendAsync(batches[^1], Cancellation));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_retry_of_a_durable_batch_is_acknowledged_with_its_original_offset_and_written_once(string backend)
    {
        await using var log = await OpenAsync(backend, 1);
        var before = TestBatches.Create(3);
        var original = TestBatches.FromProducer(ProducerId, Epoch, 0, records: 4);
        var after = TestBatches.Create(2);
        await log.AppendAsync(before, Cancellation);
        var offset = await log.AppendAsync(original, Cancellation);
        await log.AppendAsync(after, Cancellation);
        var (highWatermark, size) = (log.HighWatermark, log.SizeInBytes);

        var retried = await log.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 0, records: 4), Cancellation);

        Assert.Equal(3, offset);
        Assert.Equal(offset, retried);
        Assert.Equal((highWatermark, highWatermark, size), (log.HighWatermark, log.NextOffset, log.SizeInBytes));
        LogAssert.SameBatches([before, original, after], await LogAssert.ReadAllAsync(log, 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_retry_that_arrives_while_the_original_is_in_flight_waits_for_it_and_gets_its_offset(string backend)
    {
        var fences = new EpochFenceRegistry();
        await using var log = PartitionLog.Open(Partition, 1, LogConfig.Default, _stores.Time, _stores.OpenDirectory(backend, Partition), fences, Partition.ToString());
        await log.AppendAsync(TestBatches.Create(1), Cancellation);
        var original = TestBatches.FromProducer(ProducerId, Epoch, 0, records: 3);
        Task<long> first;
        Task<long> retry;

        // Holding the fence lock stops the writer loop before its group commit: both appends stay in flight.
        using (fences.Get(Partition.ToString()).Sync.EnterScope())
        {
            first = log.AppendAsync(original, Cancellation).AsTask();
            retry = log.AppendAsync(original.ToArray(), Cancellation).AsTask();

            Assert.False(first.IsCompleted);
            Assert.False(retry.IsCompleted);
            Assert.Equal(4, log.NextOffset);
        }

        Assert.Equal(1, await first);
        Assert.Equal(1, await retry);
        Assert.Equal((4L, 4L), (log.HighWatermark, log.NextOffset));
        Assert.Equal(2, (await LogAssert.ReadAllAsync(log, 0)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task The_next_sequence_is_written_and_a_gap_or_an_older_batch_is_refused_without_writing_anything(string backend)
    {
        await using var log = await OpenAsync(backend, 1);
        var first = TestBatches.FromProducer(ProducerId, Epoch, 0, records: 3);
        var second = TestBatches.FromProducer(ProducerId, Epoch, 3, records: 2);
        await log.AppendAsync(first, Cancellation);
        Assert.Equal(3, await log.AppendAsync(second, Cancellation));
        var size = log.SizeInBytes;

        // Sequences 0-4 are written: 6 skips one, 0 repeats an older batch, 4 overlaps the last one.
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 6), Cancellation));
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 0, records: 3), Cancellation));
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 4), Cancellation));
        Assert.Equal((5L, 5L, size), (log.HighWatermark, log.NextOffset, log.SizeInBytes));

        var third = TestBatches.FromProducer(ProducerId, Epoch, 5);
        Assert.Equal(5, await log.AppendAsync(third, Cancellation));
        LogAssert.SameBatches([first, second, third], await LogAssert.ReadAllAsync(log, 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_older_producer_epoch_is_refused_and_a_newer_one_is_accepted(string backend)
    {
        await using var log = await OpenAsync(backend, 1);
        var first = TestBatches.FromProducer(ProducerId, Epoch, 0);
        var newer = TestBatches.FromProducer(ProducerId, Epoch + 1, 0);
        await log.AppendAsync(first, Cancellation);

        Assert.Equal(2, await log.AppendAsync(newer, Cancellation));
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 2), Cancellation));
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 0), Cancellation));
        Assert.Equal(4, log.NextOffset);

        var next = TestBatches.FromProducer(ProducerId, Epoch + 1, 2);
        Assert.Equal(4, await log.AppendAsync(next, Cancellation));
        LogAssert.SameBatches([first, newer, next], await LogAssert.ReadAllAsync(log, 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Batches_without_a_producer_id_are_never_deduplicated(string backend)
    {
        await using var log = await OpenAsync(backend, 1);
        var batch = TestBatches.Create(3);

        var offsets = new[] { await log.AppendAsync(batch, Cancellation), await log.AppendAsync(batch.ToArray(), Cancellation) };

        Assert.Equal([0L, 3L], offsets);
        Assert.Equal(2 * batch.Length, log.SizeInBytes);
        Assert.Equal(2, (await LogAssert.ReadAllAsync(log, 0)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task The_sequence_wraps_from_int_max_value_to_zero(string backend)
    {
        await using var log = await OpenAsync(backend, 1);

        // One producer's batch ends exactly at int.MaxValue, another's straddles it.
        await log.AppendAsync(TestBatches.FromProducer(1, Epoch, int.MaxValue - 1, records: 2), Cancellation);
        await log.AppendAsync(TestBatches.FromProducer(2, Epoch, int.MaxValue, records: 3), Cancellation);

        Assert.Equal(5, await log.AppendAsync(TestBatches.FromProducer(1, Epoch, 0), Cancellation));
        Assert.Equal(2, await log.AppendAsync(TestBatches.FromProducer(2, Epoch, int.MaxValue, records: 3), Cancellation));
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(2, Epoch, 0), Cancellation));
        Assert.Equal(7, await log.AppendAsync(TestBatches.FromProducer(2, Epoch, 2), Cancellation));
        Assert.Equal(9, log.HighWatermark);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task After_a_reopen_a_retry_of_the_last_batch_is_still_a_duplicate_and_the_sequence_goes_on(string backend)
    {
        var original = TestBatches.FromProducer(ProducerId, Epoch, 0, records: 3);
        await using (var log = await OpenAsync(backend, 1))
        {
            await log.AppendAsync(TestBatches.Create(2), Cancellation);
            await log.AppendAsync(original, Cancellation);
            await log.AppendAsync(TestBatches.Create(2), Cancellation);
        }

        await using var reopened = await OpenAsync(backend, 2);

        Assert.Equal(2, await reopened.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 0, records: 3), Cancellation));
        Assert.Equal(7, reopened.NextOffset);
        await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await reopened.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 4), Cancellation));
        Assert.Equal(7, await reopened.AppendAsync(TestBatches.FromProducer(ProducerId, Epoch, 3), Cancellation));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task After_a_reopen_a_batch_in_the_last_sealed_segment_is_still_a_duplicate_and_older_producers_are_new(string backend)
    {
        // Every batch fills a segment of its own: the next append rolls the segment.
        var config = LogConfig.Default with { SegmentBytes = 100 };
        var older = TestBatches.FromProducer(1, Epoch, 0);
        var last = TestBatches.FromProducer(2, Epoch, 0);
        await using (var log = await OpenAsync(backend, 1, config))
        {
            await log.AppendAsync(older, Cancellation);
            await log.AppendAsync(last, Cancellation);
            await log.AppendAsync(TestBatches.Create(2), Cancellation);
            Assert.Equal([0L, 2L, 4L], ((PartitionLog)log).Segments.Select(segment => segment.BaseOffset));
        }

        await using var reopened = await OpenAsync(backend, 2, config);

        Assert.Equal(2, await reopened.AppendAsync(TestBatches.FromProducer(2, Epoch, 0), Cancellation));
        Assert.Equal(6, reopened.NextOffset);

        // Recovery reads only the last sealed segment: a producer last seen before it is unknown, so even a
        // repeat of its old batch is written as new.
        Assert.Equal(6, await reopened.AppendAsync(TestBatches.FromProducer(1, Epoch, 0), Cancellation));
        Assert.Equal(8, await reopened.AppendAsync(TestBatches.FromProducer(2, Epoch, 2), Cancellation));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Many_interleaved_producers_each_keep_their_own_sequence_also_after_a_reopen(string backend)
    {
        var topic = 0;
        var gen = Gen.Select(Gen.Int[0, 7], Gen.Int[1, 4], Gen.Enum<Step>()).Array[1, 60];
        await gen.SampleAsync(
            async steps =>
            {
                // Samples run concurrently: each gets a log of its own.
                var partition = new LogPartition($"producers{Interlocked.Increment(ref topic)}", 0);
                var producers = new Dictionary<long, (int Sequence, int Records, long Offset)>();
                var written = new List<byte[]>();
                await using (var log = await _stores.Store(backend).OpenAsync(partition, 1, LogConfig.Default, Cancellation))
                {
                    foreach (var (producer, records, step) in steps)
                    {
                        var known = producers.TryGetValue(producer, out var last);
                        var next = known ? last.Sequence + last.Records : 0;
                        switch (step)
                        {
                            case Step.Retry when known:
                                Assert.Equal(last.Offset, await log.AppendAsync(TestBatches.FromProducer(producer, Epoch, last.Sequence, last.Records), Cancellation));
                                break;
                            case Step.Gap when known:
                                await Assert.ThrowsAsync<OutOfOrderSequenceException>(async () => await log.AppendAsync(TestBatches.FromProducer(producer, Epoch, next + 1, records), Cancellation));
                                break;
                            default:
                                var batch = TestBatches.FromProducer(producer, Epoch, next, records, fill: (byte)written.Count);
                                var offset = log.NextOffset;
                                Assert.Equal(offset, await log.AppendAsync(batch, Cancellation));
                                producers[producer] = (next, records, offset);
                                written.Add(batch);
                                break;
                        }
                    }

                    LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(log, 0));
                }

                await using var reopened = await _stores.Store(backend).OpenAsync(partition, 2, LogConfig.Default, Cancellation);
                foreach (var (producer, last) in producers)
                {
                    Assert.Equal(last.Offset, await reopened.AppendAsync(TestBatches.FromProducer(producer, Epoch, last.Sequence, last.Records), Cancellation));
                }

                Assert.Equal(written.Sum(TestBatches.RecordCount), reopened.NextOffset);
            },
            iter: TestStores.IsFile(backend) ? 30 : 100);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_producer_silent_longer_than_the_expiration_is_forgotten(string backend)
    {
        await using var log = await OpenAsync(backend, 1);
        await log.AppendAsync(TestBatches.FromProducer(1, Epoch, 0), Cancellation);
        await log.AppendAsync(TestBatches.FromProducer(2, Epoch, 0), Cancellation);

        _stores.Time.Advance(ProducerStateTable.Expiration);
        Assert.Equal(0, await log.AppendAsync(TestBatches.FromProducer(1, Epoch, 0), Cancellation));
        Assert.Equal(4, await log.AppendAsync(TestBatches.FromProducer(3, Epoch, 0), Cancellation));
        Assert.Equal(3, ((PartitionLog)log).ProducerCount);

        // Producer 2 has now been silent past the expiration: its retry is a new batch, whether or not another
        // producer's append has swept it out of the table yet.
        _stores.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(6, await log.AppendAsync(TestBatches.FromProducer(2, Epoch, 0), Cancellation));
        Assert.Equal(3, ((PartitionLog)log).ProducerCount);

        _stores.Time.Advance(ProducerStateTable.Expiration + TimeSpan.FromSeconds(1));
        Assert.Equal(8, await log.AppendAsync(TestBatches.FromProducer(4, Epoch, 0), Cancellation));
        Assert.Equal(1, ((PartitionLog)log).ProducerCount);
    }

    private async Task<IPartitionLog> OpenAsync(string backend, int epoch, LogConfig? config = null) =>
        await _stores.Store(backend).OpenAsync(Partition, epoch, config ?? LogConfig.Default, Cancellation);

    /// <summary>What a producer sends next: its next batch, a retry of its last one, or a batch after a gap.</summary>
    private enum Step
    {
        Next,
        Retry,
        Gap,
    }
}
