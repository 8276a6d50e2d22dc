using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// Block-aligned buffers for direct I/O, on the pinned object heap (so their address never changes) and reused: a
/// buffer in use keeps its memory warm, where the page cache would take fresh pages. One is held per read or write
/// in progress, and a few are kept between them.
/// </summary>
internal static class AlignedBuffers
{
    /// <summary>The length of every buffer: the most one direct read or write moves.</summary>
    public const int Size = 1024 * 1024;

    private const int MaxKept = 16;

    private static readonly ConcurrentBag<Memory<byte>> Kept = [];

    public static Memory<byte> Rent() => Kept.TryTake(out var buffer) ? buffer : Allocate();

    public static void Return(Memory<byte> buffer)
    {
        if (Kept.Count < MaxKept)
        {
            Kept.Add(buffer);
        }
    }

    private static Memory<byte> Allocate()
    {
        const int alignment = DirectSegmentFile.BlockSize;
        var array = GC.AllocateUninitializedArray<byte>(Size + alignment, pinned: true);
        var misalignment = (int)(Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) & (alignment - 1));
        return array.AsMemory((alignment - misalignment) & (alignment - 1), Size);
    }
}
