using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OrleansBroker.Storage.Files;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// The File backend holds the page cache its writes fill to <see cref="FileLogStoreOptions.PageCacheBytes"/>: the newest
/// durable bytes stay cached, the oldest, across all the store's logs, leave the cache. Read back, both are the same.
/// Which pages the kernel holds is asked with <c>mincore</c>.
/// </summary>
public sealed class WrittenPageCacheTests : IDisposable
{
    private const int Limit = 1024 * 1024;
    private const int BatchValueBytes = 64 * 1024;

    /// <summary>Batches of a bit more than 64 KiB each: 4 MiB and a bit.</summary>
    private const int FourMegabytes = 64;

    private const int ProtRead = 1;
    private const int MapShared = 1;

    private readonly TestStores _stores = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static int PageSize => Environment.SystemPageSize;

    public void Dispose() => _stores.Dispose();

    [Fact]
    public async Task Past_the_limit_only_the_newest_durable_bytes_stay_in_the_page_cache_even_once_all_are_read()
    {
        var store = Store(Limit);
        var partition = new LogPartition("cached", 0);
        await using var log = await OpenAsync(store, partition);
        var written = await AppendAsync(log, FourMegabytes);

        var pages = Residency(partition).Single();
        Assert.InRange(pages.Count(page => page) * PageSize, Limit / 2, Limit + WrittenPageCache.ReportBytes + PageSize);
        AssertOnlyTheNewestCached(pages);

        // Reading the dropped bytes brings none of them back; the segment, still being written, is read through the cache
        // (not with a second descriptor), and the pages each read brought in are dropped after it.
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(log, offset: 0));
        AssertOnlyTheNewestCached(Residency(partition).Single());
        Assert.Equal(1, DescriptorsBySegment(partition).Single());

        static void AssertOnlyTheNewestCached(bool[] pages)
        {
            Assert.DoesNotContain(true, pages[..(pages.Length / 2)]);
            Assert.DoesNotContain(false, pages[^(Limit / 2 / PageSize)..]);
        }
    }

    [Fact]
    public async Task A_sealed_segment_counts_all_its_bytes_even_those_after_its_last_report()
    {
        // Three batches a segment: a flush reports the first two (over 128 KiB), the seal the third.
        var store = Store(Limit);
        var partition = new LogPartition("sealed", 0);
        await using var log = await OpenAsync(store, partition, LogConfig.Default with { SegmentBytes = 3 * (BatchValueBytes + 1024) });
        await AppendAsync(log, FourMegabytes);

        var segments = Residency(partition);
        Assert.True(segments.Length > 10, $"{segments.Length} segments");
        Assert.All(segments[..(segments.Length / 2)], pages => Assert.DoesNotContain(true, pages));
        Assert.DoesNotContain(false, segments[^1]);
    }

    [Fact]
    public async Task Within_the_limit_every_written_byte_stays_in_the_page_cache_until_its_log_closes()
    {
        var store = Store(64 * Limit);
        var partition = new LogPartition("cached", 0);
        var log = await OpenAsync(store, partition);

        // An odd count leaves bytes no flush has reported yet: closing drops them too.
        await AppendAsync(log, FourMegabytes - 1);

        Assert.DoesNotContain(false, Residency(partition).Single());
        await log.DisposeAsync();
        Assert.DoesNotContain(true, Residency(partition).Single());
    }

    [Fact]
    public async Task The_limit_is_shared_by_the_stores_logs_and_the_oldest_bytes_leave_first()
    {
        var store = Store(Limit);
        var older = new LogPartition("older", 0);
        var newer = new LogPartition("newer", 0);
        await using var olderLog = await OpenAsync(store, older);
        await using var newerLog = await OpenAsync(store, newer);
        var written = await AppendAsync(olderLog, FourMegabytes / 2);
        await AppendAsync(newerLog, FourMegabytes / 2);

        Assert.DoesNotContain(true, Residency(older).Single());
        Assert.Contains(true, Residency(newer).Single());
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(olderLog, offset: 0));
    }

    [Fact]
    public async Task The_ranges_of_a_closed_log_leave_the_queue_without_failing_another_logs_appends()
    {
        var store = Store(64 * Limit);
        await using (var closed = await OpenAsync(store, new LogPartition("closed", 0)))
        {
            await AppendAsync(closed, FourMegabytes);
        }

        // Dropping the closed log's queued ranges goes through its closed file handles.
        var partition = new LogPartition("open", 0);
        await using var log = await OpenAsync(store, partition);
        var written = await AppendAsync(log, 18 * FourMegabytes);

        Assert.Contains(false, Residency(partition).Single());
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(log, offset: 0));
    }

    [Fact]
    public async Task A_reopened_log_reads_what_it_held_before_past_the_page_cache()
    {
        var store = Store(64 * Limit);
        var partition = new LogPartition("reopened", 0);
        List<byte[]> written;
        await using (var log = await OpenAsync(store, partition))
        {
            written = await AppendAsync(log, FourMegabytes);
        }

        await using var reopened = await store.OpenAsync(partition, epoch: 2, LogConfig.Default, Cancellation);
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(reopened, offset: 0));

        // Recovery read the last page too: the page the cached bytes start in (none yet) stays.
        Assert.DoesNotContain(true, Residency(partition).Single()[..^1]);
    }

    [Fact]
    public async Task Only_segments_that_take_no_more_writes_open_a_second_descriptor_to_read_past_the_page_cache_until_read_to_the_end()
    {
        var store = Store(Limit);
        var partition = new LogPartition("descriptors", 0);
        var config = LogConfig.Default with { SegmentBytes = 8 * (BatchValueBytes + 1024) };
        List<byte[]> written;
        await using (var log = await store.OpenAsync(partition, epoch: 1, config, Cancellation))
        {
            written = await AppendAsync(log, FourMegabytes);

            // Half of each dropped, sealed segment read: each holds a second descriptor, read directly.
            var open = await ReadHalfOfEachSegmentAsync(log, written.Count, partition);
            Assert.True(open.Length > 4, $"{open.Length} segments");
            Assert.All(open[..(open.Length / 2)], count => Assert.Equal(2, count));

            // The segment being written is read through the cache instead; and reading every segment to its end closes the rest.
            Assert.Equal(1, open[^1]);
            LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(log, offset: 0));
            Assert.All(DescriptorsBySegment(partition), count => Assert.Equal(1, count));
        }

        await using var reopened = await store.OpenAsync(partition, epoch: 2, config, Cancellation);
        Assert.All(DescriptorsBySegment(partition), count => Assert.Equal(1, count));
        Assert.All(await ReadHalfOfEachSegmentAsync(reopened, written.Count, partition), count => Assert.Equal(2, count));
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(reopened, offset: 0));
        Assert.All(DescriptorsBySegment(partition), count => Assert.Equal(1, count));
        Assert.All(Residency(partition), pages => Assert.DoesNotContain(true, pages[..^1]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Readers_catching_up_while_the_log_is_written_and_dropped_read_every_batch_intact(bool flushOnCommit)
    {
        var store = Store(Limit / 4);
        var partition = new LogPartition($"concurrent-{flushOnCommit}", 0);
        var config = LogConfig.Default with { SegmentBytes = Limit, FlushOnCommit = flushOnCommit };
        await using var log = await store.OpenAsync(partition, epoch: 1, config, Cancellation);
        using var writing = new CancellationTokenSource();
        var rounds = 0;

        // Each round reads the log from its start to its end of the moment, in fetches that start anywhere in a page.
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(
            async () =>
            {
                while (!writing.IsCancellationRequested)
                {
                    LogAssert.Contiguous(await LogAssert.ReadAllAsync(log, offset: 0, maxBytes: 96 * 1024), offset: 0);
                    Interlocked.Increment(ref rounds);
                }
            },
            Cancellation)).ToArray();

        var random = new Random(20261130);
        var written = new List<byte[]>();
        while (written.Count < 2_000 || (Volatile.Read(ref rounds) < 6 && written.Count < 50_000))
        {
            var batch = TestBatches.Create(records: random.Next(1, 5), valueBytes: random.Next(1, 8192), fill: (byte)written.Count);
            await log.AppendAsync(batch, Cancellation);
            written.Add(batch);
        }

        await writing.CancelAsync();
        await Task.WhenAll(readers);
        Assert.True(rounds >= 6, $"{rounds} rounds read while {written.Count} batches were written.");
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(log, offset: 0));
    }

    [Fact]
    public async Task A_limit_of_0_leaves_the_page_cache_to_the_kernel()
    {
        var store = Store(0);
        var partition = new LogPartition("uncounted", 0);
        await using (var log = await OpenAsync(store, partition))
        {
            await AppendAsync(log, FourMegabytes);
        }

        Assert.DoesNotContain(false, Residency(partition).Single());
    }

    [Fact]
    public void A_negative_limit_is_refused()
    {
        var options = new FileLogStoreOptions { DataDirectory = _stores.DataDirectory, PageCacheBytes = -1 };

        Assert.Throws<ArgumentOutOfRangeException>(() => new FileLogStore(options, _stores.Time));
    }

    private FileLogStore Store(long limit)
    {
        // A file system that lives in memory keeps its pages whatever the advice.
        var fileSystem = DriveInfo.GetDrives()
            .Where(drive => _stores.DataDirectory.StartsWith(drive.RootDirectory.FullName, StringComparison.Ordinal))
            .MaxBy(drive => drive.RootDirectory.FullName.Length)?.DriveFormat;
        Assert.SkipWhen(fileSystem is "tmpfs" or "ramfs", $"The temp directory is on {fileSystem}, which cannot drop pages from the page cache.");
        return new(new FileLogStoreOptions { DataDirectory = _stores.DataDirectory, PageCacheBytes = limit }, _stores.Time);
    }

    private static ValueTask<IPartitionLog> OpenAsync(FileLogStore store, LogPartition partition, LogConfig? config = null) =>
        store.OpenAsync(partition, epoch: 1, config ?? LogConfig.Default, Cancellation);

    /// <summary>Appends batches of 64 KiB, one group commit each, and returns them as written (the log stamps their offsets).</summary>
    private static async Task<List<byte[]>> AppendAsync(IPartitionLog log, int count)
    {
        var batches = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var batch = TestBatches.Create(records: 1, valueBytes: BatchValueBytes, fill: (byte)i);
            await log.AppendAsync(batch, Cancellation);
            batches.Add(batch);
        }

        return batches;
    }

    /// <summary>For each segment file of the log, oldest first, and each of its pages: whether the page cache holds it.</summary>
    private bool[][] Residency(LogPartition partition) =>
    [
        .. Directory.GetFiles(_stores.LogDirectory(partition), "*.log").Order(StringComparer.Ordinal).Select(Residency),
    ];

    /// <summary>
    /// Reads one batch from the first half of each segment of <see cref="BatchValueBytes"/> batches (8 to a segment, one
    /// record each), and then returns the descriptors held on each segment.
    /// </summary>
    private async Task<int[]> ReadHalfOfEachSegmentAsync(IPartitionLog log, int batches, LogPartition partition)
    {
        for (var offset = 2; offset < batches; offset += 8)
        {
            Assert.Equal(LogReadStatus.Ok, (await log.ReadAsync(offset, maxBytes: 1, Cancellation)).Status);
        }

        return DescriptorsBySegment(partition);
    }

    /// <summary>For each segment file of the log, oldest first: how many descriptors this process holds open on it.</summary>
    private int[] DescriptorsBySegment(LogPartition partition)
    {
        var targets = OpenDescriptors.All().Select(descriptor => descriptor.Target).ToList();
        return
        [
            .. Directory.GetFiles(_stores.LogDirectory(partition), "*.log").Order(StringComparer.Ordinal)
                .Select(path => targets.Count(target => target == Path.GetFullPath(path))),
        ];
    }

    private static bool[] Residency(string path)
    {
        using var file = File.OpenHandle(path);
        var length = (nuint)RandomAccess.GetLength(file);
        var address = Map(IntPtr.Zero, length, ProtRead, MapShared, file, 0);
        Assert.NotEqual(new IntPtr(-1), address);
        try
        {
            var pages = new byte[((long)length + PageSize - 1) / PageSize];
            Assert.Equal(0, MinCore(address, length, pages));
            return [.. pages.Select(page => (page & 1) != 0)];
        }
        finally
        {
            _ = Unmap(address, length);
        }
    }

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern IntPtr Map(IntPtr address, nuint length, int protection, int flags, SafeFileHandle file, long offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Unmap(IntPtr address, nuint length);

    [DllImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static extern int MinCore(IntPtr address, nuint length, byte[] pages);
}
