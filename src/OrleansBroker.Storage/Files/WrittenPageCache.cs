using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// Holds the page cache that segment writes fill to a fixed size, shared by every log of a store. Each log reports the
/// ranges it has made durable; once more than the limit is reported, the oldest ranges, whatever their log, are dropped
/// from the cache (<c>posix_fadvise(POSIX_FADV_DONTNEED)</c>, which drops clean pages only, so never a byte not yet
/// durable). The pages they free are taken again by the next writes at once, and reads of dropped bytes go past the
/// cache (see <see cref="FileSegmentFile"/>).
/// </summary>
/// <remarks>
/// Without a limit the cache grows with the log until the kernel reclaims it, and every page a write adds is memory the
/// process has not touched yet. On a virtual machine that hands free memory back to its host (virtio-balloon free page
/// reporting, as on this project's test machine) the first touch of such a page costs a fault in the host: writing
/// through a growing cache measured 4.2-5.0 s of kernel CPU per GiB there, against 0.5-1.0 s when the cache stays at
/// 64 MiB. A limit also keeps the cache inside a container's memory limit, which counts it.
/// </remarks>
internal sealed class WrittenPageCache(long limitBytes)
{
    /// <summary>A log reports its durable bytes in ranges of at least this much, so the queue holds few entries per log.</summary>
    internal const int ReportBytes = 128 * 1024;

    private readonly ConcurrentQueue<WrittenRange> _ranges = new();
    private readonly Lock _dropping = new();
    private long _cachedBytes;

    /// <summary>
    /// The limit for a machine: 256 MiB, or an eighth of the memory .NET may use (less under a container's memory limit)
    /// where that is less. Enough for consumers near the end of their logs to read from memory (at 2 M records/s of 100
    /// bytes, about the last second written); consumers further behind read past the cache (see
    /// <see cref="FileSegmentFile"/>), nearly as fast here. A larger cache costs more than it saves where memory is slow to
    /// come by: on this project's test machine a 3 GiB limit let the cache grow for the first 3 GiB written, and the silo's
    /// CPU per produced record rose from 0.30 to 0.60 us while it did.
    /// </summary>
    public static long DefaultLimit => Math.Min(256L * 1024 * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8);

    /// <summary>
    /// Whether the store can drop pages from the cache here: 64-bit Linux (a 64-bit <c>off_t</c>) on x64 or Arm64, whose
    /// <c>POSIX_FADV_DONTNEED</c> is 4.
    /// </summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>
    /// Counts the durable range [<paramref name="start"/>, <paramref name="end"/>) of a file as cached, and drops the oldest
    /// ranges while over the limit. Whichever thread finds the cache over the limit and no other thread dropping drops.
    /// </summary>
    public void Add(FileSegmentFile file, long start, long end)
    {
        _ranges.Enqueue(new WrittenRange(file, start, end));
        Interlocked.Add(ref _cachedBytes, end - start);
        while (Volatile.Read(ref _cachedBytes) > limitBytes && _dropping.TryEnter())
        {
            try
            {
                DropOldest();
            }
            finally
            {
                _dropping.Exit();
            }
        }
    }

    /// <summary>Drops ranges, oldest first, until the cache is back within the limit; adjacent ranges of one file in one call.</summary>
    private void DropOldest()
    {
        while (Volatile.Read(ref _cachedBytes) > limitBytes && _ranges.TryDequeue(out var range))
        {
            var end = range.End;

            // Only this thread dequeues, so the range peeked at is the range dequeued.
            while (Volatile.Read(ref _cachedBytes) - (end - range.Start) > limitBytes
                && _ranges.TryPeek(out var next) && next.File == range.File && next.Start == end && _ranges.TryDequeue(out next))
            {
                end = next.End;
            }

            Interlocked.Add(ref _cachedBytes, range.Start - end);
            range.File.Drop(range.Start, end);
        }
    }

    private readonly record struct WrittenRange(FileSegmentFile File, long Start, long End);
}
