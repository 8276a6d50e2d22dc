using Azure.Core;
using OrleansBroker.Storage;
using OrleansBroker.Storage.Tests;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// Storage faults injected between the store and Azurite (<see cref="StorageFaults"/>): the SDK retries them, and the
/// store never acknowledges a batch that is not stored, never stores one twice, and fails clearly past the retries.
/// </summary>
public sealed class AzureBlobLogStoreFaultTests : ContainerTest
{
    // Attempts the SDK makes per request here: more than the store's default of 4, so that a request Azurite answers late
    // on a loaded machine (a real timeout) cannot use up the attempts a test leaves for success.
    private const int Attempts = 6;

    [Theory]
    [InlineData(Fault.ServerBusy)]
    [InlineData(Fault.InternalError)]
    [InlineData(Fault.ConnectionRefused)]
    [InlineData(Fault.Timeout)]
    [InlineData(Fault.ResponseLost)]
    [InlineData(Fault.TimeoutAfterSend)]
    public async Task An_append_that_fails_on_all_but_its_last_attempt_is_acknowledged_once_and_stored_once(Fault fault)
    {
        await using var log = await OpenAsync(epoch: 1);
        var first = Batch();
        await log.AppendAsync(first, Cancellation);
        Faults.Inject(request => request.IsAppendBlock, fault, times: 3);
        var second = Batch();

        Assert.Equal(10, await log.AppendAsync(second, Cancellation));

        // The faulted attempts, then one that went through (or, after a lost answer, was refused at the append position it had moved).
        Assert.Equal(0, Faults.Unused);
        Assert.InRange(Faults.Count(request => request.IsAppendBlock), 1 + 3 + 1, 1 + Attempts);
        var third = Batch();
        Assert.Equal(20, await log.AppendAsync(third, Cancellation));
        await AssertStoredAsync([first, second, third]);
    }

    [Theory]
    [InlineData(Fault.ServerBusy, false)]
    [InlineData(Fault.ConnectionRefused, false)]
    [InlineData(Fault.ResponseLost, true)]
    [InlineData(Fault.TimeoutAfterSend, true)]
    public async Task An_append_that_fails_on_every_attempt_is_not_acknowledged_and_a_reopened_log_holds_it_at_most_once(Fault fault, bool reachedStorage)
    {
        var log = await OpenAsync(epoch: 1);
        var first = Batch();
        await log.AppendAsync(first, Cancellation);
        Faults.Inject(request => request.IsAppendBlock, fault, times: Attempts);

        var failure = await Assert.ThrowsAsync<LogStorageException>(async () => await log.AppendAsync(Batch(), Cancellation));

        // The log takes nothing more, without asking storage again: it must be opened again.
        var requests = Faults.Seen.Count;
        await Assert.ThrowsAsync<LogStorageException>(async () => await log.AppendAsync(Batch(), Cancellation));
        Assert.Equal(requests, Faults.Seen.Count);
        Assert.Contains(Orders.ToString(), failure.Message, StringComparison.Ordinal);
        await log.DisposeAsync();

        // A first attempt that reached storage before its answer was lost stored the batch: the next open finds it, once.
        await using var reopened = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);
        var stored = await LogAssert.ReadAllAsync(reopened, 0);
        Assert.Equal(reachedStorage ? 2 : 1, stored.Count);
        LogAssert.SameBatches([first], stored[..1]);
        var next = Batch();
        Assert.Equal(stored.Count * 10, await reopened.AppendAsync(next, Cancellation));
        LogAssert.Contiguous([.. stored, next], 0);
    }

    [Fact]
    public async Task A_group_commit_whose_second_append_block_fails_acknowledges_the_batches_of_the_first_and_fails_the_rest()
    {
        // Two 331-byte batches fit a 700-byte block: the group of four below goes out as two blocks.
        var config = SmallSegments with { SegmentBytes = 10_000, MaxBatchBytes = 700 };
        var log = await Container.Store(Faults, options => options.MaxAppendBlockBytes = 700).OpenAsync(Orders, 1, config, Cancellation);
        var writing = Faults.Hold(request => request.IsAppendBlock);
        var first = Batch();
        var firstAppend = log.AppendAsync(first, Cancellation).AsTask();
        await writing.Reached.Task.WaitAsync(Cancellation);
        var group = Enumerable.Range(0, 4).Select(_ => Batch()).ToList();
        var groupAppends = group.Select(batch => log.AppendAsync(batch, Cancellation).AsTask()).ToList();
        Faults.Inject(request => request.IsAppendBlock, Fault.None);
        Faults.Inject(request => request.IsAppendBlock, Fault.ServerBusy, times: 4);
        writing.Open();

        Assert.Equal(0, await firstAppend);
        var acknowledged = await Task.WhenAll(groupAppends[..2]);
        Assert.Equal([10L, 20L], acknowledged);
        foreach (var failed in groupAppends[2..])
        {
            await Assert.ThrowsAsync<LogStorageException>(() => failed);
        }

        // Readers of the failed log see the acknowledged batches.
        Assert.Equal(30, log.HighWatermark);
        LogAssert.SameBatches([first, group[0], group[1]], await LogAssert.ReadAllAsync(log, 0));
        await log.DisposeAsync();
        await using var reopened = await Container.Store().OpenAsync(Orders, 2, config, Cancellation);
        LogAssert.SameBatches([first, group[0], group[1]], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Theory]
    [InlineData("epoch write")]
    [InlineData("lease break")]
    [InlineData("lease acquire")]
    [InlineData("roll record")]
    [InlineData("segment create")]
    [InlineData("lease release")]
    public async Task A_lost_answer_to_an_open_or_roll_request_that_storage_carried_out_is_taken_for_the_success_it_was(string request)
    {
        var batches = Enumerable.Range(0, 2).Select(_ => Batch()).ToList();
        await using (var creator = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation))
        {
            foreach (var batch in batches)
            {
                await creator.AppendAsync(batch, Cancellation);
            }
        }

        // The SDK retries the request; the retry is refused (a condition no longer holds) or repeats a done deed.
        Faults.Inject(Matching(request), Fault.ResponseLost);
        await using var log = await OpenAsync(epoch: 2);

        // The third batch fills the segment, the fourth rolls to the next.
        batches.AddRange(Enumerable.Range(0, 3).Select(_ => Batch()));
        foreach (var (batch, i) in batches[2..].Select((batch, i) => (batch, i)))
        {
            Assert.Equal(20 + (10 * i), await log.AppendAsync(batch, Cancellation));
        }

        Assert.Equal(0, Faults.Unused);
        await using var reopened = await Container.Store().OpenAsync(Orders, 3, SmallSegments, Cancellation);
        LogAssert.SameBatches(batches, await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Fact]
    public async Task A_read_that_fails_on_every_attempt_fails_with_a_storage_error_and_leaves_the_log_writable()
    {
        await using var log = await OpenAsync(epoch: 1);
        var first = Batch();
        await log.AppendAsync(first, Cancellation);
        Faults.Inject(request => request.Method == RequestMethod.Get, Fault.ConnectionRefused, times: Attempts);

        await Assert.ThrowsAsync<LogStorageException>(async () => await log.ReadAsync(0, 1024, Cancellation));

        var second = Batch();
        Assert.Equal(10, await log.AppendAsync(second, Cancellation));
        LogAssert.SameBatches([first, second], await LogAssert.ReadAllAsync(log, 0));
    }

    [Fact]
    public async Task An_open_that_fails_on_every_attempt_fails_with_a_storage_error_and_a_later_open_succeeds()
    {
        Faults.Inject(request => request.IsEpochWrite, Fault.ServerBusy, times: Attempts);

        await Assert.ThrowsAsync<LogStorageException>(async () => await OpenAsync(epoch: 1));

        await using var log = await OpenAsync(epoch: 2);
        Assert.Equal(0, await log.AppendAsync(Batch(), Cancellation));
    }

    [Fact]
    public async Task A_retention_run_that_storage_fails_part_way_hides_the_expired_segments_leaves_the_log_writable_and_the_next_run_deletes_them()
    {
        // Eight batches make segments 0, 30 and 60; 1000 bytes of retention keep only the last.
        var config = SmallSegments with { RetentionTime = null, RetentionBytes = 1000 };
        await using var log = await OpenAsync(epoch: 1, config);
        var batches = await AppendAsync(log, 8);

        // The first segment's index is deleted, the segment itself is not.
        Faults.Inject(request => request.IsDelete, Fault.None);
        Faults.Inject(request => request.IsDelete, Fault.ConnectionRefused, times: Attempts);
        var failure = await Assert.ThrowsAsync<LogStorageException>(async () => await log.EnforceRetentionAsync(Cancellation));

        Assert.Contains(Orders.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Equal((60, 80), (log.LogStartOffset, log.HighWatermark));
        Assert.Equal(LogReadStatus.OffsetOutOfRange, (await log.ReadAsync(0, 1024, Cancellation)).Status);
        Assert.Equal([LogBlobs.Segment(0), LogBlobs.Segment(30, "index"), LogBlobs.Segment(30), LogBlobs.Segment(60), "leader-epoch"], Container.BlobNames(Orders));
        var next = Batch();
        Assert.Equal(80, await log.AppendAsync(next, Cancellation));

        Assert.Equal(60, await log.EnforceRetentionAsync(Cancellation));

        Assert.Equal([LogBlobs.Segment(60), "leader-epoch"], Container.BlobNames(Orders));
        await using var reopened = await Container.Store().OpenAsync(Orders, 2, config, Cancellation);
        Assert.Equal((60, 90), (reopened.LogStartOffset, reopened.HighWatermark));
        LogAssert.SameBatches([.. batches[6..], next], await LogAssert.ReadAllAsync(reopened, 60));
    }

    [Fact]
    public async Task A_log_reopened_before_a_failed_retention_run_was_retried_holds_the_expired_segments_whole_and_its_next_run_deletes_them()
    {
        var config = SmallSegments with { RetentionTime = null, RetentionBytes = 1000 };
        var log = await OpenAsync(epoch: 1, config);
        var batches = await AppendAsync(log, 8);
        Faults.Inject(request => request.IsDelete, Fault.None);
        Faults.Inject(request => request.IsDelete, Fault.ConnectionRefused, times: Attempts);
        await Assert.ThrowsAsync<LogStorageException>(async () => await log.EnforceRetentionAsync(Cancellation));
        await log.DisposeAsync();

        // The first segment lost its index: the open rebuilds it, and the log starts where storage's segments do.
        await using var reopened = await Container.Store().OpenAsync(Orders, 2, config, Cancellation);
        var stored = await LogAssert.ReadAllAsync(reopened, 0);
        LogAssert.SameBatches(batches, stored);
        LogAssert.Contiguous(stored, 0);

        Assert.Equal(60, await reopened.EnforceRetentionAsync(Cancellation));
        Assert.Equal([LogBlobs.Segment(60), "leader-epoch"], Container.BlobNames(Orders));
    }

    [Fact]
    public async Task A_delete_that_storage_fails_part_way_fails_with_a_storage_error_and_a_delete_through_a_new_open_removes_the_rest()
    {
        var log = await OpenAsync(epoch: 1);
        await AppendAsync(log, 8);

        // The first segment and its index go, then storage refuses.
        Faults.Inject(request => request.IsDelete, Fault.None, times: 2);
        Faults.Inject(request => request.IsDelete, Fault.ConnectionRefused, times: Attempts);
        var failure = await Assert.ThrowsAsync<LogStorageException>(async () => await log.DeleteAsync(Cancellation));

        // What is left opens as a log that starts at 30: whoever deletes must never serve it (the partition grain does not).
        Assert.Contains(Orders.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Equal([LogBlobs.Segment(30, "index"), LogBlobs.Segment(30), LogBlobs.Segment(60), "leader-epoch"], Container.BlobNames(Orders));
        var remains = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);
        Assert.Equal((30, 80), (remains.LogStartOffset, remains.HighWatermark));

        await remains.DeleteAsync(Cancellation);

        Assert.Empty(Container.BlobNames(Orders));
    }

    private static byte[] Batch() => TestBatches.Create(10, valueBytes: 20);

    private static async Task<List<byte[]>> AppendAsync(IPartitionLog log, int count)
    {
        var batches = Enumerable.Range(0, count).Select(_ => Batch()).ToList();
        foreach (var batch in batches)
        {
            await log.AppendAsync(batch, Cancellation);
        }

        return batches;
    }

    private static Func<BlobRequest, bool> Matching(string request) => request switch
    {
        "epoch write" => r => r.IsEpochWrite,
        "lease break" => r => r.IsLease("break"),
        "lease acquire" => r => r.IsLease("acquire"),
        "roll record" => r => r.IsMetadataWrite,
        "segment create" => r => r.IsSegmentCreate,
        "lease release" => r => r.IsLease("release"),
        _ => throw new ArgumentOutOfRangeException(nameof(request), request, null),
    };

    /// <summary>Opens the log on a store whose requests pass through the faults; an attempt times out after 2 s.</summary>
    private async Task<IPartitionLog> OpenAsync(int epoch, LogConfig? config = null) =>
        await Container.Store(Faults, options =>
            {
                options.ClientOptions.Retry.MaxRetries = Attempts - 1;
                options.ClientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
            })
            .OpenAsync(Orders, epoch, config ?? SmallSegments, Cancellation);

    private async Task AssertStoredAsync(IReadOnlyList<byte[]> batches)
    {
        await using var reopened = await Container.Store().OpenAsync(Orders, 99, SmallSegments, Cancellation);
        var stored = await LogAssert.ReadAllAsync(reopened, 0);
        LogAssert.SameBatches(batches, stored);
        LogAssert.Contiguous(stored, 0);
    }
}
