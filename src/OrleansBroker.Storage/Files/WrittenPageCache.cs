using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
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

    private readonly ConcurrentQueue<WrittenRange> _ranges = new();
    private readonly Lock _dropping = new();
    private long _cachedBytes;

    /// <summary>The limit for a machine: an eighth of the memory .NET may use (less under a container's memory limit).</summary>
    public static long DefaultLimit => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8;

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
    public void Add(SafeFileHandle file, long start, long end)
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

    /// <summary>
    /// Drops a file about to close from the cache, all of it: its ranges still queued can no longer be dropped through its
    /// handle once it is closed (they stay counted until they leave the queue).
    /// </summary>
    public static void DropAll(SafeFileHandle file) => Drop(file, 0, 0);

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
            var pageStart = range.Start - (range.Start % Environment.SystemPageSize);
            Drop(range.File, pageStart, end - pageStart);
        }
    }

    /// <summary>
    /// Drops the pages of a range (a length of 0: to the end of the file). Callers start it at a page boundary: the kernel
    /// keeps a page the range covers only in part, and the earlier bytes of a range's first page belong to an older range
    /// of the file, dropped already. The advice is best effort: a file closed since (its log closed, or retention deleted
    /// it) has nothing left to drop, and a failed advice costs memory the kernel reclaims anyway, never data.
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Dropping pages is advice: its failure must not fail the durable append that reported them.")]
    private static void Drop(SafeFileHandle file, long start, long length)
    {
        try
        {
            _ = FAdvise(file, start, length, DontNeed);
        }
        catch (Exception)
        {
            // Closed since (ObjectDisposedException), or refused: the pages stay for the kernel to reclaim.
        }
    }

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int FAdvise(SafeFileHandle file, long offset, long length, int advice);

    private readonly record struct WrittenRange(SafeFileHandle File, long Start, long End);
}
