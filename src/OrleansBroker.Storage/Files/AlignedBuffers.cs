using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// Block-aligned buffers for direct I/O, on the pinned object heap (so their address never changes) and reused: a
/// buffer in use keeps its memory warm, where the page cache would take fresh pages. Two sizes: small ones for the
/// small reads (a batch header, an index lookup, a tailing consumer's fetch), large ones for writes and long reads.
/// One is held per read or write in progress; a few per processor are kept between them.
/// </summary>
internal sealed class AlignedBuffers
{
    /// <summary>Buffers of 64 KiB.</summary>
    public static readonly AlignedBuffers Small = new(64 * 1024);

    /// <summary>Buffers of 1 MiB: the most one direct read or write moves.</summary>
    public static readonly AlignedBuffers Large = new(1024 * 1024);

    private static readonly int MaxKept = Math.Max(16, 4 * Environment.ProcessorCount);

    private readonly ConcurrentBag<Memory<byte>> _kept = [];
    private int _keptCount;

    private AlignedBuffers(int size) => Size = size;

    /// <summary>The length of every buffer of this pool.</summary>
    public int Size { get; }

    /// <summary>The pool whose buffers are the smallest that hold <paramref name="length"/> bytes (at most <see cref="Large"/>'s size).</summary>
    public static AlignedBuffers For(int length) => length <= Small.Size ? Small : Large;

    public Memory<byte> Rent()
    {
        if (_kept.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref _keptCount);
            return buffer;
        }

        return Allocate();
    }

    /// <summary>Takes back a buffer of this pool; beyond what it keeps, the garbage collector takes it.</summary>
    public void Return(Memory<byte> buffer)
    {
        if (Interlocked.Increment(ref _keptCount) <= MaxKept)
        {
            _kept.Add(buffer);
        }
        else
        {
            Interlocked.Decrement(ref _keptCount);
        }
    }

    private Memory<byte> Allocate()
    {
        const int alignment = DirectSegmentFile.BlockSize;
        var array = GC.AllocateUninitializedArray<byte>(Size + alignment, pinned: true);
        var misalignment = (int)(Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) & (alignment - 1));
        return array.AsMemory((alignment - misalignment) & (alignment - 1), Size);
    }
}
