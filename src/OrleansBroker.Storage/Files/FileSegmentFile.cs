using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// One segment file, written and read through the page cache at explicit positions. It hands what it has made durable
/// to the store's <see cref="WrittenPageCache"/>, if any: at a flush in ranges of at least
/// <see cref="WrittenPageCache.ReportBytes"/>, and the rest when its writes end. Closing drops the whole file from the cache.
/// </summary>
/// <remarks>
/// Under a page cache limit, the bytes the store does not hold in the cache (those written before this opening, and those
/// the limit has dropped since) do not come back into it when read. A consumer catching up from far behind would otherwise
/// fill the cache again, with fresh pages the limit is there to spare: on this project's test machine, 10 M records
/// consumed from the disk through the cache cost the silo 3.3 s of kernel CPU, against 0.9 s for 10 M cached ones.
/// <list type="bullet">
/// <item>A file that takes no writes (sealed, or not yet written in this opening) is read with direct I/O, through a second,
/// read-only descriptor: 0.14 s of kernel CPU per GiB read here, against 1.0 s through the cache. The descriptor is opened
/// at such a read and closed at the first read that reaches the end of the uncached bytes, where a consumer catching up
/// moves on to the next segment: a log read from its start holds one, not one per segment.</item>
/// <item>The file being written is read through the cache, and the pages a read brings in are dropped after it: a direct
/// read holds the file's lock that writes take (ext4, XFS), so each one would hold up the log's next append.</item>
/// <item>Recovery reads through the cache and drops what it read, so opening a log opens no second descriptors.</item>
/// <item>Where the second descriptor cannot be opened (a file system that refuses direct I/O, no <c>/proc</c>) or its reads
/// fail, reads go through the cache as for the file being written.</item>
/// </list>
/// </remarks>
internal sealed class FileSegmentFile : ISegmentFile
{
    private const int DontNeed = 4;

    private readonly SafeFileHandle _handle;
    private readonly WrittenPageCache? _pageCache;
    private readonly Lock _opening = new();
    private DirectSegmentFile? _uncachedReader;
    private bool _uncachedReadsRefused;
    private bool _writing;
    private long _written;
    private long _reported;

    // The bytes before it are not in the page cache by the store's doing: they are read past it.
    private long _uncachedEnd;

    public FileSegmentFile(SafeFileHandle handle, WrittenPageCache? pageCache)
    {
        _handle = handle;
        _pageCache = pageCache;
        _written = _reported = RandomAccess.GetLength(handle);
        _uncachedEnd = pageCache is null ? 0 : _written;
    }

    public long Length => RandomAccess.GetLength(_handle);

    public bool IsFull => false;

    public bool LengthIsDurable => false;

    /// <summary>
    /// Recovery's reads: through the cache, dropping again what they bring in below the cached bytes, so that opening a log
    /// opens no second descriptor for each of its segments.
    /// </summary>
    public int Read(Span<byte> buffer, long position)
    {
        var read = RandomAccess.Read(_handle, buffer, position);
        DropRead(position, read);
        return read;
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        var uncached = UncachedCount(position, buffer.Length);
        return uncached == 0
            ? RandomAccess.ReadAsync(_handle, buffer, position, cancellationToken)
            : ReadUncachedAsync(buffer[..uncached], position, cancellationToken);
    }

    public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position)
    {
        Volatile.Write(ref _writing, true);
        RandomAccess.Write(_handle, buffers, position);
        var end = position;
        for (var i = 0; i < buffers.Count; i++)
        {
            end += buffers[i].Length;
        }

        _written = end;
    }

    public void Flush()
    {
        FileSync.FlushData(_handle);
        if (_written - _reported >= WrittenPageCache.ReportBytes)
        {
            ReportDurable();
        }
    }

    public void Truncate(long length)
    {
        RandomAccess.SetLength(_handle, length);
        RandomAccess.FlushToDisk(_handle);
        _written = length;
        _reported = Math.Min(_reported, length);
        _uncachedEnd = Math.Min(_uncachedEnd, length);
    }

    public void EndWrites()
    {
        Volatile.Write(ref _writing, false);
        if (_written > _reported)
        {
            ReportDurable();
        }
    }

    /// <summary>
    /// Drops the pages of [<paramref name="start"/>, <paramref name="end"/>) from the page cache, from the page
    /// <paramref name="start"/> lies in (the kernel keeps a page the range covers only in part, and the earlier bytes of
    /// that page belong to an older range of the file, dropped already); reads before <paramref name="end"/> do not bring
    /// them back from now on. Best effort: a file closed since has nothing left to drop. The store's page cache drops from
    /// one thread at a time, oldest range first.
    /// </summary>
    public void Drop(long start, long end)
    {
        if (Volatile.Read(ref _uncachedEnd) < end)
        {
            Volatile.Write(ref _uncachedEnd, end);
        }

        var pageStart = PageStart(start);
        Advise(pageStart, end - pageStart);
    }

    public void Dispose()
    {
        if (_pageCache is not null)
        {
            Advise(0, 0);
        }

        lock (_opening)
        {
            _uncachedReadsRefused = true;
            _uncachedReader?.Dispose();
        }

        _handle.Dispose();
    }

    private void ReportDurable()
    {
        _pageCache?.Add(this, _reported, _written);
        _reported = _written;
    }

    /// <summary>How many of <paramref name="count"/> bytes from <paramref name="position"/> lie before the cached ones.</summary>
    private int UncachedCount(long position, int count) => (int)Math.Clamp(Volatile.Read(ref _uncachedEnd) - position, 0, count);

    /// <summary>
    /// Reads bytes the cache does not hold: with direct I/O once the file takes no writes, else (and where direct reads are
    /// refused) through the cache, dropping what the read brought in.
    /// </summary>
    private async ValueTask<int> ReadUncachedAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        if (!Volatile.Read(ref _writing) && UncachedReader() is { } reader)
        {
            try
            {
                var directly = await reader.ReadAsync(buffer, position, cancellationToken);
                if (position + directly >= Volatile.Read(ref _uncachedEnd))
                {
                    CloseUncachedReader(reader);
                }

                return directly;
            }
            catch (ObjectDisposedException) when (!_handle.IsClosed)
            {
                // Another read closed the reader at the end of the uncached bytes: this one goes through the cache.
            }
            catch (IOException)
            {
                // A file system that opens files for direct I/O but fails their reads: read through the cache from now on.
                Volatile.Write(ref _uncachedReadsRefused, true);
            }
        }

        var read = await RandomAccess.ReadAsync(_handle, buffer, position, cancellationToken);
        DropRead(position, read);
        return read;
    }

    private DirectSegmentFile? UncachedReader()
    {
        if (Volatile.Read(ref _uncachedReadsRefused))
        {
            return null;
        }

        if (Volatile.Read(ref _uncachedReader) is { } reader)
        {
            return reader;
        }

        lock (_opening)
        {
            if (_uncachedReader is null && !_uncachedReadsRefused)
            {
                Volatile.Write(ref _uncachedReader, DirectSegmentFile.TryOpenReader(_handle, out var refused));
                _uncachedReadsRefused = refused;
            }

            return _uncachedReader;
        }
    }

    private void CloseUncachedReader(DirectSegmentFile reader)
    {
        lock (_opening)
        {
            if (ReferenceEquals(_uncachedReader, reader))
            {
                Volatile.Write(ref _uncachedReader, null);
            }
        }

        // A read still using it keeps the descriptor open until it ends (the handle counts its users).
        reader.Dispose();
    }

    /// <summary>
    /// Drops the pages a read through the cache brought in below the cached bytes, whole pages from the one it started in;
    /// the page the cached bytes start in stays.
    /// </summary>
    private void DropRead(long position, int read)
    {
        var start = PageStart(position);
        var end = PageStart(Math.Min(position + read + Environment.SystemPageSize - 1, Volatile.Read(ref _uncachedEnd)));
        if (end > start)
        {
            Advise(start, end - start);
        }
    }

    /// <summary>The start of the page <paramref name="position"/> lies in.</summary>
    private static long PageStart(long position) => position - (position % Environment.SystemPageSize);

    /// <summary>
    /// Drops pages from the cache (a length of 0: to the end of the file), which drops clean pages only, so never a byte
    /// not yet durable. The advice is best effort: a file closed since (its log closed, or retention deleted it) has nothing
    /// left to drop, and a failed advice costs memory the kernel reclaims anyway, never data.
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Dropping pages is advice: its failure must not fail the durable append that reported them.")]
    private void Advise(long start, long length)
    {
        try
        {
            _ = FAdvise(_handle, start, length, DontNeed);
        }
        catch (Exception)
        {
            // Closed since (ObjectDisposedException), or refused: the pages stay for the kernel to reclaim.
        }
    }

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int FAdvise(SafeFileHandle file, long offset, long length, int advice);
}
