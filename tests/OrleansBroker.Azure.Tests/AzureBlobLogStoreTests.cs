using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using OrleansBroker.Storage;
using OrleansBroker.Storage.Tests;

namespace OrleansBroker.Azure.Tests;

public sealed class AzureBlobLogStoreTests : ContainerTest
{
    [Fact]
    public async Task Batches_read_back_byte_for_byte_from_one_append_blob_per_segment_with_indexes_for_sealed_ones()
    {
        await using var log = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation);
        var batches = Enumerable.Range(0, 8).Select(i => TestBatches.Create(10, valueBytes: 20, timestamp: i)).ToList();
        foreach (var batch in batches)
        {
            await log.AppendAsync(batch, Cancellation);
        }

        LogAssert.SameBatches(batches, await LogAssert.ReadAllAsync(log, 0));
        LogAssert.SameBatches(batches[4..], await LogAssert.ReadAllAsync(log, 45));
        Assert.Equal(50, await log.FindOffsetByTimestampAsync(5, Cancellation));
        Assert.Equal(
            ["00000000000000000000.index", "00000000000000000000.log", "00000000000000000030.index", "00000000000000000030.log", "00000000000000000060.log", "leader-epoch"],
            Container.BlobNames(Orders));
        var first = await Blob(0).GetPropertiesAsync(cancellationToken: Cancellation);
        Assert.Equal((BlobType.Append, 993L), (first.Value.BlobType, first.Value.ContentLength));
    }

    [Fact]
    public async Task Reopening_with_a_new_epoch_recovers_the_log_from_the_blob_list_and_appends_after_it()
    {
        var batches = Enumerable.Range(1, 7).Select(i => TestBatches.Create(10, valueBytes: 20, timestamp: i)).ToList();
        await using (var log = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }
        }

        await using var reopened = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);
        var appended = TestBatches.Create(3);

        Assert.Equal(70, await reopened.AppendAsync(appended, Cancellation));
        Assert.Equal((7 * 331) + appended.Length, reopened.SizeInBytes);
        LogAssert.SameBatches([.. batches, appended], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Fact]
    public async Task A_newer_epoch_on_another_store_fences_the_old_writer_and_nothing_of_its_append_reaches_the_log()
    {
        // Two stores on one container: two silos, fenced by nothing but the blobs.
        await using var old = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation);
        var first = TestBatches.Create(10, valueBytes: 20);
        await old.AppendAsync(first, Cancellation);

        await using var current = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);
        await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await old.AppendAsync(TestBatches.Create(3), Cancellation));
        await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await old.AppendAsync(TestBatches.Create(3), Cancellation));
        var second = TestBatches.Create(1);
        await current.AppendAsync(second, Cancellation);

        LogAssert.SameBatches([first, second], await LogAssert.ReadAllAsync(current, 0));
        await using var reopened = await Container.Store().OpenAsync(Orders, 3, SmallSegments, Cancellation);
        LogAssert.SameBatches([first, second], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Fact]
    public async Task A_stale_writer_cannot_roll_to_a_segment_the_new_writer_misses()
    {
        await using var old = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation);
        var batches = Enumerable.Range(0, 3).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();
        foreach (var batch in batches)
        {
            await old.AppendAsync(batch, Cancellation);
        }

        await using var current = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);

        // The segment is full: the old writer's next append would roll.
        await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await old.AppendAsync(TestBatches.Create(10, valueBytes: 20), Cancellation));
        var next = TestBatches.Create(10, valueBytes: 20);
        Assert.Equal(30, await current.AppendAsync(next, Cancellation));

        await using var reopened = await Container.Store().OpenAsync(Orders, 3, SmallSegments, Cancellation);
        LogAssert.SameBatches([.. batches, next], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Fact]
    public async Task An_opener_follows_a_roll_the_previous_writer_recorded_but_did_not_finish()
    {
        var batches = Enumerable.Range(0, 2).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();
        await using (var log = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }
        }

        // A writer that died between recording its roll to offset 20 and creating that segment.
        var sealing = Blob(0);
        await sealing.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: Cancellation);
        await sealing.SetMetadataAsync(new Dictionary<string, string> { ["nextsegment"] = "20" }, cancellationToken: Cancellation);

        await using var reopened = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);
        var next = TestBatches.Create(1);

        Assert.Equal(20, await reopened.AppendAsync(next, Cancellation));
        Assert.Contains("00000000000000000020.log", Container.BlobNames(Orders));
        Assert.Equal(next.Length, (await Blob(20).GetPropertiesAsync(cancellationToken: Cancellation)).Value.ContentLength);
        LogAssert.SameBatches([.. batches, next], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Fact]
    public async Task Opening_with_an_equal_or_lower_epoch_throws_stale_epoch()
    {
        await using var log = await Container.Store().OpenAsync(Orders, 5, SmallSegments, Cancellation);

        var equal = await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await Container.Store().OpenAsync(Orders, 5, SmallSegments, Cancellation));
        await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await Container.Store().OpenAsync(Orders, 4, SmallSegments, Cancellation));
        await log.AppendAsync(TestBatches.Create(1), Cancellation);

        Assert.Equal(5, equal.CurrentEpoch);
    }

    [Fact]
    public async Task A_segment_rolls_before_its_append_blob_reaches_the_block_limit()
    {
        // One group commit of a 100 kB segment in 4 MiB blocks needs at most 3 blocks: with 6 allowed, 3 are usable.
        var config = LogConfig.Default with { SegmentBytes = 100_000, MaxBatchBytes = 1024 };
        var store = Container.Store(options => options.MaxBlocksPerSegment = 6);
        await using var log = await store.OpenAsync(Orders, 1, config, Cancellation);
        for (var i = 0; i < 7; i++)
        {
            await log.AppendAsync(TestBatches.Create(1), Cancellation);
        }

        Assert.Equal(
            ["00000000000000000000.index", "00000000000000000000.log", "00000000000000000003.index", "00000000000000000003.log", "00000000000000000006.log", "leader-epoch"],
            Container.BlobNames(Orders));
        Assert.Equal(3, (await Blob(3).GetPropertiesAsync(cancellationToken: Cancellation)).Value.BlobCommittedBlockCount);
    }

    [Fact]
    public async Task A_group_commit_larger_than_an_append_block_goes_out_as_several_whole_batch_blocks()
    {
        var config = LogConfig.Default with { SegmentBytes = 8192, MaxBatchBytes = 1024 };
        var store = Container.Store(options => options.MaxAppendBlockBytes = 1024);
        await using var log = await store.OpenAsync(Orders, 1, config, Cancellation);
        var batches = Enumerable.Range(0, 12).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();

        // Appended without awaiting in between: they queue behind the first write and go out in few groups.
        var offsets = await Task.WhenAll(batches.Select(batch => log.AppendAsync(batch, Cancellation).AsTask()));

        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10L), offsets);
        var properties = (await Blob(0).GetPropertiesAsync(cancellationToken: Cancellation)).Value;

        // Three 331-byte batches fit a 1024-byte block, four do not: however the appends grouped, 12 batches took 4 blocks or more.
        Assert.InRange(properties.BlobCommittedBlockCount, 4, 12);
        LogAssert.SameBatches(batches, await LogAssert.ReadAllAsync(log, 0));
    }

    [Fact]
    public async Task A_torn_tail_is_skipped_on_recovery_and_later_appends_read_back_after_it()
    {
        var batches = Enumerable.Range(0, 2).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();
        await using (var log = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }
        }

        // Half a batch at the end of the active segment: a torn append.
        var active = Blob(0);
        await active.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: Cancellation);
        using (var torn = new MemoryStream(TestBatches.Create(10, valueBytes: 20)[..150]))
        {
            await active.AppendBlockAsync(torn, cancellationToken: Cancellation);
        }

        var appended = TestBatches.Create(2);
        await using (var recovered = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation))
        {
            Assert.Equal(2 * 331, recovered.SizeInBytes);
            Assert.Equal(20, await recovered.AppendAsync(appended, Cancellation));
            LogAssert.SameBatches([.. batches, appended], await LogAssert.ReadAllAsync(recovered, 0));
        }

        await using var reopened = await Container.Store().OpenAsync(Orders, 3, SmallSegments, Cancellation);
        Assert.Equal((2 * 331) + appended.Length, reopened.SizeInBytes);
        LogAssert.SameBatches([.. batches, appended], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Fact]
    public async Task Retention_deletes_the_oldest_segment_blobs_and_their_indexes()
    {
        var config = SmallSegments with { RetentionTime = null, RetentionBytes = 2500 };
        await using var log = await Container.Store().OpenAsync(Orders, 1, config, Cancellation);
        var batches = Enumerable.Range(0, 13).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();
        foreach (var batch in batches)
        {
            await log.AppendAsync(batch, Cancellation);
        }

        Assert.Equal(60, await log.EnforceRetentionAsync(Cancellation));

        Assert.Equal(
            ["00000000000000000060.index", "00000000000000000060.log", "00000000000000000090.index", "00000000000000000090.log", "00000000000000000120.log", "leader-epoch"],
            Container.BlobNames(Orders));
        LogAssert.SameBatches(batches[6..], await LogAssert.ReadAllAsync(log, 60));
        await using var reopened = await Container.Store().OpenAsync(Orders, 2, config, Cancellation);
        Assert.Equal(60, reopened.LogStartOffset);
    }

    [Fact]
    public async Task Delete_removes_every_blob_of_the_log_and_a_later_open_starts_empty()
    {
        await using (var log = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation))
        {
            for (var i = 0; i < 5; i++)
            {
                await log.AppendAsync(TestBatches.Create(10, valueBytes: 20), Cancellation);
            }

            await log.DeleteAsync(Cancellation);
        }

        Assert.Empty(Container.BlobNames(Orders));
        await using var reopened = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation);
        Assert.Equal(0, reopened.NextOffset);
    }

    private AppendBlobClient Blob(long baseOffset) =>
        Container.Client.GetAppendBlobClient($"{Orders}/{baseOffset:D20}.log");
}
