using OrleansBroker.Storage;
using OrleansBroker.Storage.Tests;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// Two activations of one partition writing at once, as two silos do during a membership change: two stores on one
/// container, fenced by nothing but the blobs. <see cref="AzureBlobLogStoreTests"/> covers the writers one after the other.
/// </summary>
public sealed class AzureBlobLogFencingTests : ContainerTest
{
    [Fact]
    public async Task A_writer_that_keeps_appending_while_a_newer_one_opens_and_appends_is_fenced_and_the_log_holds_exactly_the_acknowledged_batches_in_order()
    {
        await using var old = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation);
        var oldWriter = new LogWriter(old, Batch);
        var running = Task.Run(() => oldWriter.AppendUntilRefusedAsync(), Cancellation);
        await oldWriter.AcknowledgedAsync(10).WaitAsync(Cancellation);

        // The newer writer opens and appends while the old one has group commits in flight.
        await using var current = await Container.Store().OpenAsync(Orders, 2, SmallSegments, Cancellation);
        var currentWriter = new LogWriter(current, Batch);
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(0, await currentWriter.AppendAsync());
        }

        await running.WaitAsync(Cancellation);
        Assert.Equal(0, await currentWriter.AppendAsync());

        // Refused once, the old writer writes nothing more.
        await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await old.AppendAsync(Batch(), Cancellation));
        Assert.NotEmpty(oldWriter.Refusals);
        Assert.All(oldWriter.Refusals, refusal => Assert.IsType<Storage.StaleEpochException>(refusal));
        await using var reopened = await Container.Store().OpenAsync(Orders, 3, SmallSegments, Cancellation);
        var stored = await LogAssert.ReadAllAsync(reopened, 0);
        LogAssert.SameBatches([.. oldWriter.Stored, .. currentWriter.Stored], stored);
        LogAssert.Contiguous(stored, 0);
    }

    [Fact]
    public async Task An_opener_that_breaks_the_lease_of_a_newer_writer_before_losing_to_it_does_not_fence_that_writer()
    {
        await using (var creator = await Container.Store().OpenAsync(Orders, 1, SmallSegments, Cancellation))
        {
            await creator.AppendAsync(Batch(), Cancellation);
        }

        // The losing opener has written its epoch (2) and stops before breaking the segment's lease...
        var breaking = Faults.Hold(request => request.IsLease("break"));
        var losing = Container.Store(Faults).OpenAsync(Orders, 2, SmallSegments, Cancellation).AsTask();
        await breaking.Reached.Task.WaitAsync(Cancellation);

        // ...while the newer one (3) opens; then the losing opener breaks the newer one's lease and finds epoch 3 stored.
        await using var current = await Container.Store().OpenAsync(Orders, 3, SmallSegments, Cancellation);
        breaking.Open();
        await Assert.ThrowsAsync<Storage.StaleEpochException>(async () => await losing);
        var batches = Enumerable.Range(0, 10).Select(_ => Batch()).ToList();

        foreach (var batch in batches)
        {
            await current.AppendAsync(batch, Cancellation);
        }

        await using var reopened = await Container.Store().OpenAsync(Orders, 4, SmallSegments, Cancellation);
        var stored = await LogAssert.ReadAllAsync(reopened, 0);
        LogAssert.SameBatches(batches, stored[1..]);
        LogAssert.Contiguous(stored, 0);
    }

    [Fact]
    public async Task A_writer_fenced_between_two_append_blocks_of_one_group_commit_acknowledges_the_batches_of_the_block_that_landed_and_only_those()
    {
        // 340-byte blocks hold two 142-byte batches: a group of four goes out as two blocks.
        var config = LogConfig.Default with { SegmentBytes = 10_000, MaxBatchBytes = 340 };
        var store = Container.Store(Faults, options => options.MaxAppendBlockBytes = 340);
        await using var old = await store.OpenAsync(Orders, 1, config, Cancellation);

        // The first append holds the writer, so the next four queue up and go out as one group commit.
        var writing = Faults.Hold(request => request.IsAppendBlock);
        var first = Batch();
        var firstAppend = old.AppendAsync(first, Cancellation).AsTask();
        await writing.Reached.Task.WaitAsync(Cancellation);
        var group = Enumerable.Range(0, 4).Select(_ => Batch()).ToList();
        var groupAppends = group.Select(batch => old.AppendAsync(batch, Cancellation).AsTask()).ToList();
        Faults.Inject(request => request.IsAppendBlock, Fault.None);
        var secondBlock = Faults.Hold(request => request.IsAppendBlock);
        writing.Open();
        Assert.Equal(0, await firstAppend);

        // The group's second block waits while a newer writer takes the log over.
        await secondBlock.Reached.Task.WaitAsync(Cancellation);
        await using var current = await Container.Store().OpenAsync(Orders, 2, config, Cancellation);
        secondBlock.Open();

        var acknowledged = await Task.WhenAll(groupAppends[..2]);
        Assert.Equal([3L, 6L], acknowledged);
        foreach (var refused in groupAppends[2..])
        {
            await Assert.ThrowsAsync<Storage.StaleEpochException>(() => refused);
        }

        var next = Batch();
        Assert.Equal(9, await current.AppendAsync(next, Cancellation));
        await using var reopened = await Container.Store().OpenAsync(Orders, 3, config, Cancellation);
        LogAssert.SameBatches([first, group[0], group[1], next], await LogAssert.ReadAllAsync(reopened, 0));
    }

    // Batches of 3 records with 20-byte values take 142 bytes: a small segment holds 7, so the writers also roll.
    private static byte[] Batch() => TestBatches.Create(3, valueBytes: 20);
}
