using System.Diagnostics;
using OrleansBroker.Storage;
using OrleansBroker.Storage.Tests;

namespace OrleansBroker.Azure.Tests;

/// <summary>The blob log store against an Azurite of its own that stops mid-produce and starts again on the same data.</summary>
public sealed class AzuriteRestartTests(ITestOutputHelper output)
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 4000 };
    private static readonly LogPartition Orders = new("orders", 0);

    // Far above what the store's default retries take (about 6 s of backoff): only a hang fails the test this way.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private int _batches;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Appends_while_storage_is_down_fail_with_a_storage_error_and_after_its_restart_a_reopened_log_takes_appends_and_holds_every_acknowledged_batch_once()
    {
        await using var azurite = await AzuriteProcess.StartNewAsync(Cancellation);

        // The store's default client options: what a silo runs with.
        var store = new AzureBlobLogStore(new AzureBlobLogStoreOptions { ConnectionString = azurite.ConnectionString, ContainerName = "logs" }, TimeProvider.System);
        var log = await store.OpenAsync(Orders, 1, SmallSegments, Cancellation);
        var before = new LogWriter(log, Batch);
        var producing = Task.Run(before.AppendUntilRefusedAsync, Cancellation);
        await before.AcknowledgedAsync(40).WaitAsync(Bound, Cancellation);

        var clock = Stopwatch.StartNew();
        await azurite.StopAsync(Cancellation);
        var stopped = clock.Elapsed;
        await producing.WaitAsync(Bound, Cancellation);
        var failed = clock.Elapsed;

        Assert.All(before.Refusals, refusal => Assert.IsType<LogStorageException>(refusal));
        clock.Restart();
        await Assert.ThrowsAsync<LogStorageException>(async () => await store.OpenAsync(Orders, 2, SmallSegments, Cancellation).AsTask().WaitAsync(Bound, Cancellation));
        var openFailed = clock.Elapsed;
        await log.DisposeAsync();

        clock.Restart();
        await azurite.StartAsync(Cancellation);
        var restarted = clock.Elapsed;
        await using var reopened = await store.OpenAsync(Orders, 3, SmallSegments, Cancellation);
        var after = new LogWriter(reopened, Batch);
        for (var group = 0; group < 5; group++)
        {
            Assert.Equal(0, await after.AppendAsync());
        }

        output.WriteLine(
            $"{before.Stored.Count} batches acknowledged before the stop, which took {stopped.TotalSeconds:F1} s; the first refusal came " +
            $"{failed.TotalSeconds:F1} s after the stop began ({before.Failed.Count} batches refused); an open while down failed after " +
            $"{openFailed.TotalSeconds:F1} s; Azurite restarted in {restarted.TotalSeconds:F1} s.");

        await using var check = await store.OpenAsync(Orders, 4, SmallSegments, Cancellation);
        AssertStored(await LogAssert.ReadAllAsync(check, 0), before, after);
    }

    [Fact]
    public async Task Appends_to_a_hung_storage_service_time_out_with_a_storage_error_and_a_request_it_carries_out_late_is_stored_at_most_once()
    {
        await using var azurite = await AzuriteProcess.StartNewAsync(Cancellation);

        // A shorter network timeout than the default 5 s, which makes a hung service refuse an append after about 26 s.
        var options = new AzureBlobLogStoreOptions { ConnectionString = azurite.ConnectionString, ContainerName = "logs" };
        options.ClientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
        var store = new AzureBlobLogStore(options, TimeProvider.System);
        var log = await store.OpenAsync(Orders, 1, SmallSegments, Cancellation);
        var before = new LogWriter(log, Batch);
        var producing = Task.Run(before.AppendUntilRefusedAsync, Cancellation);
        await before.AcknowledgedAsync(40).WaitAsync(Bound, Cancellation);

        var clock = Stopwatch.StartNew();
        await azurite.FreezeAsync(Cancellation);
        await producing.WaitAsync(Bound, Cancellation);
        var failed = clock.Elapsed;

        Assert.All(before.Refusals, refusal => Assert.IsType<LogStorageException>(refusal));
        output.WriteLine($"{before.Stored.Count} batches acknowledged; appends to the frozen service failed {failed.TotalSeconds:F1} s after it froze.");

        // Thawed, it carries out what reached it while frozen, the appends given up on among them: after the old writer's
        // position, under its lease, so once at most, and before the next writer takes the lease.
        await azurite.ThawAsync(Cancellation);
        await log.DisposeAsync();
        await using var reopened = await store.OpenAsync(Orders, 2, SmallSegments, Cancellation);
        var after = new LogWriter(reopened, Batch);
        Assert.Equal(0, await after.AppendAsync());
        await using var check = await store.OpenAsync(Orders, 3, SmallSegments, Cancellation);
        AssertStored(await LogAssert.ReadAllAsync(check, 0), before, after);
    }

    /// <summary>
    /// Every acknowledged batch is stored once, in order; of the refused ones, those that reached storage before it failed
    /// may be stored too (their answer was lost), at most once each and before anything the next writer appended.
    /// </summary>
    private void AssertStored(List<byte[]> stored, LogWriter before, LogWriter after)
    {
        LogAssert.Contiguous(stored, 0);
        LogAssert.SameBatches(before.Stored, stored[..before.Stored.Count]);
        LogAssert.SameBatches(after.Stored, stored[^after.Stored.Count..]);
        var refusedButStored = stored[before.Stored.Count..^after.Stored.Count];
        LogAssert.SameBatches(before.Failed[..refusedButStored.Count], refusedButStored);
        output.WriteLine($"{refusedButStored.Count} of the {before.Failed.Count} refused batches are stored all the same.");
    }

    /// <summary>A batch unlike any other (its timestamp), so that a batch stored twice would show.</summary>
    private byte[] Batch() => TestBatches.Create(3, valueBytes: 20, timestamp: Interlocked.Increment(ref _batches));
}
