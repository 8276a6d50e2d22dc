using System.Runtime.InteropServices;
using Microsoft.Extensions.Time.Testing;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// A file system that refuses direct I/O (<c>ramfs</c>, mounted for the test: it needs Linux and the right to mount).
/// The page-cache mode reads what is not cached through the cache there instead; the direct I/O mode refuses to open.
/// </summary>
public sealed class DirectIORefusedTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RamFileSystem _ramfs = RamFileSystem.MountOrSkip();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _ramfs.Dispose();

    [Fact]
    public async Task Reads_past_the_page_cache_go_through_it_where_direct_reads_are_refused()
    {
        // A reopened log holds none of its bytes as cached: every read of a sealed segment first tries a direct reader.
        var store = new FileLogStore(new FileLogStoreOptions { DataDirectory = _ramfs.Path, PageCacheBytes = 1024 * 1024 }, _time);
        var partition = new LogPartition("refused", 0);
        var config = LogConfig.Default with { SegmentBytes = 256 * 1024 };
        var written = new List<byte[]>();
        await using (var log = await store.OpenAsync(partition, epoch: 1, config, Cancellation))
        {
            for (var i = 0; i < 64; i++)
            {
                var batch = TestBatches.Create(records: 4, valueBytes: 16 * 1024, fill: (byte)i);
                await log.AppendAsync(batch, Cancellation);
                written.Add(batch);
            }
        }

        await using var reopened = await store.OpenAsync(partition, epoch: 2, config, Cancellation);
        for (var round = 0; round < 2; round++)
        {
            LogAssert.SameBatches(written, await LogAssert.ReadAllAsync(reopened, offset: 0, maxBytes: 64 * 1024));
        }

        var segments = Directory.GetFiles(Path.Combine(_ramfs.Path, partition.ToString()), "*.log");
        Assert.True(segments.Length > 2, $"{segments.Length} segments");
        Assert.All(segments, segment => Assert.Equal(1, OpenDescriptors.On(segment)));
    }

    [Fact]
    public async Task A_direct_IO_store_fails_to_open_a_log_there_saying_why_as_the_silo_options_check_does_first()
    {
        Assert.Contains("refuses direct I/O", FileLogStore.DirectIOProblem(_ramfs.Path), StringComparison.Ordinal);
        var store = new FileLogStore(new FileLogStoreOptions { DataDirectory = _ramfs.Path, DirectIO = true }, _time);

        var error = await Assert.ThrowsAsync<LogStorageException>(
            async () => await store.OpenAsync(new LogPartition("direct", 0), epoch: 1, LogConfig.Default, Cancellation));

        Assert.Contains("refuses direct I/O", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A <c>ramfs</c> mounted on a fresh temp directory, unmounted and removed on dispose.</summary>
    private sealed class RamFileSystem : IDisposable
    {
        private const int Detach = 2;

        private RamFileSystem(string path) => Path = path;

        public string Path { get; }

        /// <summary>Mounts one, or skips the test where this process may not (not Linux, or not allowed to mount).</summary>
        public static RamFileSystem MountOrSkip()
        {
            Assert.SkipUnless(OperatingSystem.IsLinux(), "ramfs is Linux's.");
            var path = Directory.CreateTempSubdirectory("obroker-ramfs-").FullName;
            if (Mount("ramfs", path, "ramfs", 0, IntPtr.Zero) == 0)
            {
                return new RamFileSystem(path);
            }

            var errno = Marshal.GetLastPInvokeError();
            Directory.Delete(path);
            Assert.Skip($"Cannot mount a ramfs (errno {errno}): mounting needs CAP_SYS_ADMIN.");
            return null!;
        }

        public void Dispose()
        {
            _ = Unmount(Path, Detach);
            Directory.Delete(Path, recursive: true);
        }

        [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
        private static extern int Mount(string source, string target, string fileSystemType, nuint flags, IntPtr data);

        [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
        private static extern int Unmount(string target, int flags);
    }
}
