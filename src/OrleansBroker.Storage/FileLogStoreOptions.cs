namespace OrleansBroker.Storage;

/// <summary>Settings of the <see cref="FileLogStore"/>.</summary>
public sealed class FileLogStoreOptions
{
    /// <summary>The directory that holds one <c>{topic}-{partition}</c> directory per partition log. Default: data.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Reads and writes segments with direct I/O (<c>O_DIRECT</c>, Linux on x64 or Arm64), past the page cache. Writes, and
    /// reads of data the page cache would no longer hold, cost less CPU; reads of data just written cost more, as no cache
    /// holds it. Opening a log fails where the file system refuses direct I/O. Default: false.
    /// </summary>
    public bool DirectIO { get; set; }

    /// <summary>
    /// The most bytes of written segments the store leaves in the OS page cache, across all its logs (64-bit Linux, without
    /// <see cref="DirectIO"/>). Once its logs have made more than this durable, the oldest of it is dropped from the cache,
    /// so the cache's pages are reused by the next writes instead of the cache growing with the log; consumers near the end
    /// of a log still read from memory. Null: an eighth of the memory the process may use. Default: null.
    /// </summary>
    public long? PageCacheBytes { get; set; }
}
