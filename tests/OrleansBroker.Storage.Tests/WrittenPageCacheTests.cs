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
    private const int ProtRead = 1;
    private const int MapShared = 1;

    private readonly TestStores _stores = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _stores.Dispose();

    [Fact]
    public async Task Past_the_limit_only_the_newest_durable_bytes_stay_in_the_page_cache()
    {
        var store = Store(Limit);
        var partition = new LogPartition("cached", 0);
        await using var log = await OpenAsync(store, partition);
        var written = await AppendAsync(log, megabytes: 4);

        var pages = Residency(SegmentPath(partition));
        var resident = pages.Count(page => page) * Environment.SystemPageSize;
        Assert.InRange(resident, Limit / 2, Limit + WrittenPageCache.ReportBytes + Environment.SystemPageSize);
        Assert.DoesNotContain(true, pages[..(pages.Length / 2)]);
        Assert.DoesNotContain(false, pages[^(Limit / 2 / Environment.SystemPageSize)..]);
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(log, offset: 0));
    }

    [Fact]
    public async Task Within_the_limit_every_written_byte_stays_in_the_page_cache_until_its_log_closes()
    {
        var store = Store(64 * Limit);
        var partition = new LogPartition("cached", 0);
        var log = await OpenAsync(store, partition);
        await AppendAsync(log, megabytes: 4);

        Assert.DoesNotContain(false, Residency(SegmentPath(partition)));

        await log.DisposeAsync();
        Assert.DoesNotContain(true, Residency(SegmentPath(partition)));
    }

    [Fact]
    public async Task The_limit_is_shared_by_the_stores_logs_and_the_oldest_bytes_leave_first()
    {
        var store = Store(Limit);
        var older = new LogPartition("older", 0);
        var newer = new LogPartition("newer", 0);
        await using var olderLog = await OpenAsync(store, older);
        await using var newerLog = await OpenAsync(store, newer);
        var written = await AppendAsync(olderLog, megabytes: 2);
        await AppendAsync(newerLog, megabytes: 2);

        Assert.DoesNotContain(true, Residency(SegmentPath(older)));
        Assert.Contains(true, Residency(SegmentPath(newer)));
        LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(olderLog, offset: 0));
    }

    [Fact]
    public void A_negative_limit_is_refused()
    {
        var options = new FileLogStoreOptions { DataDirectory = _stores.DataDirectory, PageCacheBytes = -1 };

        Assert.Throws<ArgumentOutOfRangeException>(() => new FileLogStore(options, _stores.Time));
    }

    private FileLogStore Store(long limit) =>
        new(new FileLogStoreOptions { DataDirectory = _stores.DataDirectory, PageCacheBytes = limit }, _stores.Time);

    private string SegmentPath(LogPartition partition) =>
        Path.Combine(_stores.LogDirectory(partition), FileLogDirectory.SegmentFileName(0));

    private static ValueTask<IPartitionLog> OpenAsync(FileLogStore store, LogPartition partition) =>
        store.OpenAsync(partition, epoch: 1, LogConfig.Default, Cancellation);

    /// <summary>Appends batches of 64 KiB, one group commit each, and returns them as written (the log stamps their offsets).</summary>
    private static async Task<List<byte[]>> AppendAsync(IPartitionLog log, int megabytes)
    {
        var batches = new List<byte[]>();
        for (var i = 0; i < megabytes * 1024 * 1024 / BatchValueBytes; i++)
        {
            var batch = TestBatches.Create(records: 1, valueBytes: BatchValueBytes, fill: (byte)i);
            await log.AppendAsync(batch, Cancellation);
            batches.Add(batch);
        }

        return batches;
    }

    /// <summary>For each page of the file, whether the page cache holds it.</summary>
    private static bool[] Residency(string path)
    {
        using var file = File.OpenHandle(path);
        var length = (nuint)RandomAccess.GetLength(file);
        var address = Map(IntPtr.Zero, length, ProtRead, MapShared, file, 0);
        Assert.NotEqual(new IntPtr(-1), address);
        try
        {
            var pages = new byte[((long)length + Environment.SystemPageSize - 1) / Environment.SystemPageSize];
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
