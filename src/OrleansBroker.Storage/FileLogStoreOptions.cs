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
    /// How many bytes of written segments the store leaves in the OS page cache, across all its logs (Linux on x64 or
    /// Arm64, without <see cref="DirectIO"/>). Once its logs have made more than this durable, the oldest of it is dropped
    /// from the cache, so the next writes reuse those pages instead of the cache growing with the log; consumers near the
    /// end of a log still read from memory; what consumers further behind read, what was dropped and what was on disk before
    /// the log opened, does not come back into the cache (sealed segments are read with direct I/O, the segment being
    /// written through the cache, whose pages are dropped after each read), so that catching up does not fill it again. Bytes written
    /// without a flush per commit count once their segment is sealed or their log closes, and a log that closes drops its
    /// files from the cache. 0 leaves the page cache to the kernel, for writes and reads. Null: 256 MiB, or an eighth of the
    /// memory .NET may use where that is less. Default: null.
    /// </summary>
    public long? PageCacheBytes { get; set; }
}
