using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// Holds the page cache that segment writes fill to a fixed size, shared by every log of a store. Each log reports the
/// ranges it has made durable; once more than the limit is reported, the oldest ranges, whatever their log, are dropped
/// from the cache (<c>posix_fadvise(POSIX_FADV_DONTNEED)</c>, which drops clean pages only, so never a byte not yet
/// durable). The pages they free are taken again by the next writes at once.
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

    private const int DontNeed = 4;

    private readonly ConcurrentQueue<Range> _ranges = new();
    private readonly Lock _dropping = new();
    private long _cachedBytes;

    /// <summary>The limit for a machine: an eighth of the memory the process may use (a container's limit, if it has one).</summary>
    public static long DefaultLimit => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8;

    /// <summary>Whether the platform lets the store drop pages from the cache (64-bit Linux, where <c>off_t</c> is 64 bits).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>The bytes reported and not dropped yet.</summary>
    public long CachedBytes => Volatile.Read(ref _cachedBytes);

    /// <summary>Counts the durable range [<paramref name="start"/>, <paramref name="end"/>) of a file as cached, and drops the oldest ranges when over the limit.</summary>
    public void Add(SafeFileHandle file, long start, long end)
    {
        _ranges.Enqueue(new Range(file, start, end));
        if (Interlocked.Add(ref _cachedBytes, end - start) > limitBytes && _dropping.TryEnter())
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

    /// <summary>
    /// Drops the first <paramref name="end"/> bytes of a file about to close from the cache: its ranges still queued can no
    /// longer be dropped through its handle once it is closed. They stay counted until they leave the queue.
    /// </summary>
    public static void DropClosing(SafeFileHandle file, long end) => Drop(file, 0, end);

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
            Drop(range.File, range.Start, end);
        }
    }

    /// <summary>
    /// Drops the pages of a range, from the start of its first page: the kernel keeps a page the range covers only in part,
    /// and that page's earlier bytes belong to an older range of the file, dropped already. The advice is best effort: a file closed since (its log closed, or retention deleted it)
    /// holds no pages worth dropping, and a refusal costs memory the kernel reclaims anyway, never data.
    /// </summary>
    private static void Drop(SafeFileHandle file, long start, long end)
    {
        try
        {
            if (!file.IsClosed)
            {
                var pageStart = start - (start % Environment.SystemPageSize);
                _ = FAdvise(file, pageStart, end - pageStart, DontNeed);
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed between the check and the call.
        }
    }

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int FAdvise(SafeFileHandle file, long offset, long length, int advice);

    private readonly record struct Range(SafeFileHandle File, long Start, long End);
}
