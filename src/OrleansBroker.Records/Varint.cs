using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace OrleansBroker.Records;

/// <summary>
/// Zig-zag variable-length integers, as Kafka's <c>ByteUtils.writeVarint</c> / <c>writeVarlong</c> write them.
/// <code>
///  zig-zag:  0 -> 0,  -1 -> 1,  1 -> 2,  -2 -> 3, ...   (n &lt;&lt; 1) ^ (n &gt;&gt; 31|63)
///
///  byte:  +---+---------------+
///         | c |  7 data bits  |   c = 1: another byte follows; groups are little-endian
///         +---+---------------+
///
///  int32 : 1..5 bytes, the 5th holds only 4 data bits (0x00..0x0F)
///  int64 : 1..10 bytes, the 10th holds only 1 data bit (0x00..0x01)
/// </code>
/// Readers reject encodings that are truncated, longer than the type allows, or carry bits the type
/// cannot hold, so a corrupt length can never be read as a plausible one.
/// </summary>
public static class Varint
{
    /// <summary>The most bytes a zig-zag int32 takes.</summary>
    public const int MaxInt32Size = 5;

    /// <summary>The most bytes a zig-zag int64 takes.</summary>
    public const int MaxInt64Size = 10;

    /// <summary>The number of bytes <paramref name="value"/> takes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOf(int value) => SizeOfUnsigned(ZigZag(value));

    /// <summary>The number of bytes <paramref name="value"/> takes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOf(long value) => SizeOfUnsigned(ZigZag(value));

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, int value) => WriteUnsigned(destination, ZigZag(value));

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, long value) => WriteUnsigned(destination, ZigZag(value));

    /// <summary>Reads a zig-zag int32 from the start of <paramref name="source"/>; never throws.</summary>
    /// <returns>False when the encoding is truncated, too long, or overflows 32 bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        // Most fields of a record (attributes aside) are small: one byte is the common case, inlined into the caller.
        if (!source.IsEmpty && source[0] < 0x80)
        {
            value = (source[0] >> 1) ^ -(source[0] & 1);
            bytesRead = 1;
            return true;
        }

        return TryReadMultiByte(source, out value, out bytesRead);
    }

    private static bool TryReadMultiByte(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        uint result = 0;
        for (var i = 0; i < MaxInt32Size && i < source.Length; i++)
        {
            uint b = source[i];
            if (i == MaxInt32Size - 1 && b > 0x0F)
            {
                break;
            }

            result |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (int)(result >> 1) ^ -(int)(result & 1);
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    /// <summary>Reads a zig-zag int64 from the start of <paramref name="source"/>; never throws.</summary>
    /// <returns>False when the encoding is truncated, too long, or overflows 64 bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        if (!source.IsEmpty && source[0] < 0x80)
        {
            value = (source[0] >> 1) ^ -(source[0] & 1);
            bytesRead = 1;
            return true;
        }

        return TryReadMultiByte(source, out value, out bytesRead);
    }

    private static bool TryReadMultiByte(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        ulong result = 0;
        for (var i = 0; i < MaxInt64Size && i < source.Length; i++)
        {
            ulong b = source[i];
            if (i == MaxInt64Size - 1 && b > 0x01)
            {
                break;
            }

            result |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                value = (long)(result >> 1) ^ -(long)(result & 1);
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SizeOfUnsigned(ulong value)
    {
        // Each byte carries 7 bits; a zero value still takes one byte.
        var bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(value | 1);
        return (bits + 6) / 7;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        // Most fields of a record (lengths, small deltas) take one byte or two: no size to work out, no loop.
        if (value < 0x80 && !destination.IsEmpty)
        {
            destination[0] = (byte)value;
            return 1;
        }

        if (value < 0x4000 && destination.Length > 1)
        {
            destination[0] = (byte)(value | 0x80);
            destination[1] = (byte)(value >> 7);
            return 2;
        }

        var size = SizeOfUnsigned(value);
        if (destination.Length < size)
        {
            ThrowDestinationTooShort(size);
        }

        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i] = (byte)value;
        return size;
    }

    [DoesNotReturn]
    private static void ThrowDestinationTooShort(int size) =>
        throw new ArgumentException($"The destination needs {size} bytes for this varint.");
}
