using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// A segment written and read with direct I/O (<c>O_DIRECT</c>, Linux): bytes move between the disk and reused buffers
/// of our own, never through the page cache. Copying appends into the page cache costs the kernel a fresh page per
/// 4 KiB, and on a virtual machine that hands free memory back to its host that copy can cost more than everything
/// else the broker does per record; catch-up reads through the page cache pay the same again. A segment of the page
/// cache mode opens one read-only for its reads of bytes no longer cached (see <see cref="TryOpenReader"/>).
/// </summary>
/// <remarks>
/// Direct I/O moves whole blocks at block-aligned positions. Each write therefore writes the segment's last partial
/// block again (kept in memory) ahead of the new bytes, and fills the final block up with zeros: the file can be longer
/// than the bytes written. Recovery cuts such padding off like any torn tail, and <see cref="EndWrites"/> cuts it when
/// the segment is sealed or its log closed. Reads read the aligned blocks around a range and copy the range out.
/// The log's writer writes (under its fence lock) while readers read; readers only read bytes already written, which a
/// rewrite of their block leaves as they were.
/// </remarks>
internal sealed class DirectSegmentFile : ISegmentFile
{
    /// <summary>The alignment of positions, lengths and memory: a multiple of the logical block size of any disk (512 or 4096 bytes).</summary>
    internal const int BlockSize = 4096;

    private const int ReadOnly = 0x0;
    private const int ReadWrite = 0x2;
    private const int Create = 0x40;
    private const int CloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private const int TryAgain = 11;
    private const int OutOfMemory = 12;
    private const int InvalidArgument = 22;
    private const int TooManyFilesInSystem = 23;
    private const int TooManyOpenFiles = 24;

    // rw-rw-rw- before the umask, as .NET creates files.
    private const uint CreateMode = 0x1B6;

    private readonly SafeFileHandle _handle;
    private byte[]? _tail;
    private int _tailLength = -1;
    private long _length;
    private bool _padded;

    private DirectSegmentFile(SafeFileHandle handle)
    {
        _handle = handle;
        _length = RandomAccess.GetLength(handle);
    }

    /// <summary>The written length; after an open, the stored one, padding included until recovery cuts it.</summary>
    public long Length => Volatile.Read(ref _length);

    public bool IsFull => false;

    public bool LengthIsDurable => false;

    /// <summary>Throws unless this operating system and processor have direct I/O as this class uses it: Linux on x64 or Arm64.</summary>
    /// <exception cref="PlatformNotSupportedException">Another operating system or processor.</exception>
    public static void ThrowIfNotSupported() => _ = DirectFlag();

    /// <summary>Opens (or creates) the segment for direct I/O.</summary>
    /// <exception cref="PlatformNotSupportedException">See <see cref="ThrowIfNotSupported"/>.</exception>
    /// <exception cref="IOException">The file cannot be opened, or its file system refuses direct I/O.</exception>
    public static DirectSegmentFile Open(string path)
    {
        var descriptor = OpenDescriptor(path, ReadWrite | Create | CloseOnExec | DirectFlag(), CreateMode);
        if (descriptor >= 0)
        {
            return new DirectSegmentFile(new SafeFileHandle(descriptor, ownsHandle: true));
        }

        var errno = Marshal.GetLastPInvokeError();
        throw new IOException(errno == InvalidArgument
            ? $"The file system of '{path}' refuses direct I/O (O_DIRECT); open the log store without direct I/O."
            : $"Cannot open segment '{path}' (errno {errno}).");
    }

    /// <summary>
    /// Opens a second descriptor of an open file, for direct reads only (Linux on x64 or Arm64): through the descriptor's
    /// <c>/proc/self/fd</c> link, which reaches the same file even once deleted. Null where that fails: the caller reads
    /// through the page cache instead, for good where <paramref name="refused"/> (a file system that refuses direct I/O, no
    /// <c>/proc</c>), this time only where the failure may pass (out of descriptors or memory, an interrupted call). The
    /// reader's <see cref="Length"/> is the file's length when it was opened.
    /// </summary>
    public static DirectSegmentFile? TryOpenReader(SafeFileHandle file, out bool refused)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var link = string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{file.DangerousGetHandle()}");
            var descriptor = OpenDescriptor(link, ReadOnly | CloseOnExec | DirectFlag(), 0);
            if (descriptor >= 0)
            {
                refused = false;
                return new DirectSegmentFile(new SafeFileHandle(descriptor, ownsHandle: true));
            }

            refused = Marshal.GetLastPInvokeError() is not (Interrupted or TryAgain or OutOfMemory or TooManyFilesInSystem or TooManyOpenFiles);
            return null;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    public int Read(Span<byte> buffer, long position)
    {
        var (start, skip, length) = Window(position, buffer.Length);
        var pool = AlignedBuffers.For(length);
        var staging = pool.Rent();
        try
        {
            var read = RandomAccess.Read(_handle, staging.Span[..length], start);
            return CopyOut(staging.Span[..read], skip, buffer);
        }
        finally
        {
            pool.Return(staging);
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        var (start, skip, length) = Window(position, buffer.Length);
        var pool = AlignedBuffers.For(length);
        var staging = pool.Rent();
        try
        {
            var read = await RandomAccess.ReadAsync(_handle, staging[..length], start, cancellationToken);
            return CopyOut(staging.Span[..read], skip, buffer.Span);
        }
        finally
        {
            pool.Return(staging);
        }
    }

    /// <summary>Writes at the end of what was written: the last partial block again, the buffers, zeros up to a block.</summary>
    public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position)
    {
        if (position != _length)
        {
            throw new InvalidOperationException($"A direct segment is written at its end ({_length}), not at {position}.");
        }

        var staging = AlignedBuffers.Large.Rent();
        try
        {
            var span = staging.Span;
            var tail = _tail ??= new byte[BlockSize];
            var filled = LoadTail(tail, span);
            var blockStart = position - filled;
            var end = position;
            foreach (var buffer in buffers)
            {
                var source = buffer.Span;
                end += source.Length;
                while (!source.IsEmpty)
                {
                    var taken = Math.Min(source.Length, span.Length - filled);
                    source[..taken].CopyTo(span[filled..]);
                    source = source[taken..];
                    filled += taken;
                    if (filled == span.Length)
                    {
                        RandomAccess.Write(_handle, span, blockStart);
                        blockStart += filled;
                        filled = 0;
                    }
                }
            }

            var padded = (int)AlignUp(filled);
            if (padded > 0)
            {
                span[filled..padded].Clear();
                RandomAccess.Write(_handle, span[..padded], blockStart);
            }

            _padded = padded != filled;
            _tailLength = filled % BlockSize;
            span.Slice(filled - _tailLength, _tailLength).CopyTo(tail);
            Volatile.Write(ref _length, end);
        }
        catch
        {
            // What reached the disk is unknown: the next write (after the log is opened again) reads the tail back.
            _tailLength = -1;
            throw;
        }
        finally
        {
            AlignedBuffers.Large.Return(staging);
        }
    }

    public void Flush() => FileSync.FlushData(_handle);

    public void Truncate(long length)
    {
        RandomAccess.SetLength(_handle, length);
        RandomAccess.FlushToDisk(_handle);
        Volatile.Write(ref _length, length);
        _tailLength = -1;
        _padded = false;
    }

    public void EndWrites()
    {
        if (_padded)
        {
            Truncate(_length);
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>The kernel's <c>O_DIRECT</c> for this processor.</summary>
    private static int DirectFlag() => (OperatingSystem.IsLinux() ? RuntimeInformation.ProcessArchitecture : (Architecture?)null) switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => throw new PlatformNotSupportedException("Direct I/O needs Linux on x64 or Arm64: turn DirectIO off."),
    };

    private static long AlignUp(long length) => (length + BlockSize - 1) & -BlockSize;

    /// <summary>The aligned read that covers <paramref name="count"/> bytes from <paramref name="position"/>, as far as a large buffer holds.</summary>
    private static (long Start, int Skip, int Length) Window(long position, int count)
    {
        var skip = (int)(position % BlockSize);
        return (position - skip, skip, (int)Math.Min(AlignedBuffers.Large.Size, AlignUp((long)skip + count)));
    }

    private static int CopyOut(ReadOnlySpan<byte> read, int skip, Span<byte> destination)
    {
        if (read.Length <= skip)
        {
            return 0;
        }

        var count = Math.Min(read.Length - skip, destination.Length);
        read.Slice(skip, count).CopyTo(destination);
        return count;
    }

    /// <summary>
    /// Puts the last partial block's bytes at the start of <paramref name="staging"/>, keeping them in <paramref name="tail"/>
    /// (read back from the disk once after an open or a failure); returns their count.
    /// </summary>
    private int LoadTail(byte[] tail, Span<byte> staging)
    {
        if (_tailLength < 0)
        {
            var length = (int)(_length % BlockSize);
            if (length > 0 && RandomAccess.Read(_handle, staging[..BlockSize], _length - length) < length)
            {
                throw new IOException($"The last block of a segment is shorter than its length ({_length}) says.");
            }

            staging[..length].CopyTo(tail);
            _tailLength = length;
            return length;
        }

        tail.AsSpan(0, _tailLength).CopyTo(staging);
        return _tailLength;
    }

    // open(2) is variadic in C; on Linux x64 and Arm64 a variadic int argument travels like a fixed one, so a fixed
    // three-argument signature calls it correctly there (the only platforms this class opens files on).
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenDescriptor([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);
}
