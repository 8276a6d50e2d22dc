using OrleansBroker.Storage.Engine;
using OrleansBroker.Storage.Files;

namespace OrleansBroker.Storage;

/// <summary>
/// The embedded default log store: each partition log is a directory of segment files under
/// <see cref="FileLogStoreOptions.DataDirectory"/>, fsynced per group commit by default.
/// </summary>
/// <remarks>
/// Epoch fencing is per process: every store in the process shares one fence per log directory (so two
/// silos of an in-process test cluster on one data directory fence each other), and the epoch file fences
/// openers across restarts. Writers in different processes are not fenced against each other while both
/// run: multi-process clusters use the Azure backend, whose conditional appends fence across machines.
/// </remarks>
public sealed class FileLogStore : ILogStore
{
    private static readonly EpochFenceRegistry Fences = new();

    private readonly string _dataDirectory;
    private readonly bool _directIO;
    private readonly WrittenPageCache? _pageCache;
    private readonly TimeProvider _timeProvider;

    public FileLogStore(FileLogStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.DirectIO)
        {
            DirectSegmentFile.ThrowIfNotSupported();
        }

        var pageCacheBytes = options.PageCacheBytes ?? WrittenPageCache.DefaultLimit;
        ArgumentOutOfRangeException.ThrowIfNegative(pageCacheBytes, nameof(options.PageCacheBytes));

        _dataDirectory = Path.GetFullPath(options.DataDirectory);
        _directIO = options.DirectIO;
        _pageCache = options.DirectIO || pageCacheBytes == 0 || !WrittenPageCache.IsSupported ? null : new WrittenPageCache(pageCacheBytes);
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// Why logs under <paramref name="dataDirectory"/> cannot use direct I/O, or null when they can: the platform, or a file
    /// system that refuses it (found by opening a probe file, which is then deleted; the directory is created when missing).
    /// </summary>
    public static string? DirectIOProblem(string dataDirectory)
    {
        try
        {
            DirectSegmentFile.ThrowIfNotSupported();
            Directory.CreateDirectory(dataDirectory);
            var probe = Path.Combine(dataDirectory, $".direct-io-probe-{Guid.NewGuid():N}");
            try
            {
                DirectSegmentFile.Open(probe).Dispose();
            }
            finally
            {
                File.Delete(probe);
            }

            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return exception.Message;
        }
    }

    public async ValueTask<IPartitionLog> OpenAsync(LogPartition partition, int epoch, LogConfig config, CancellationToken cancellationToken = default)
    {
        var name = partition.ToString();
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException($"The topic name of {name} cannot name a directory.", nameof(partition));
        }

        var path = Path.Combine(_dataDirectory, name);

        try
        {
            // Recovery reads and truncates files: keep that blocking I/O off the caller's (grain's) thread.
            return await WriterThreads.Shared.Factory.StartNew(
                () => PartitionLog.Open(partition, epoch, config, _timeProvider, new FileLogDirectory(path, _directIO, _pageCache), Fences, path),
                cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new LogStorageException($"Opening the log of {partition} failed: {exception.Message}", exception);
        }
    }
}
