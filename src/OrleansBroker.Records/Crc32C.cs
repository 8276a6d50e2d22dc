using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansBroker.Records;

/// <summary>CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2, on the CPU's CRC32 instruction.</summary>
/// <remarks>
/// The instruction takes 3 cycles to give its result but can start one every cycle, so one running CRC leaves two thirds
/// of it idle. Long inputs are therefore taken in chunks of three equal blocks, each block's CRC computed independently in
/// one loop, and the three joined: the CRC register is linear in its bits, so running it over a block from a register
/// <c>r</c> gives the block's CRC from zero XOR what <c>r</c> becomes over as many zero bytes, and that is a fixed linear
/// map of <c>r</c>, tabulated for each block length a byte of <c>r</c> at a time.
/// </remarks>
public static class Crc32C
{
    // Blocks of the long chunks take most of a batch; the short ones most of what is left.
    private const int LongBlock = 2048;
    private const int ShortBlock = 128;

    private static readonly Shift LongShift = new(LongBlock);
    private static readonly Shift ShortShift = new(ShortBlock);

    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        crc = AppendChunks(crc, ref data, LongShift);
        crc = AppendChunks(crc, ref data, ShortShift);
        return ~AppendSingle(crc, data);
    }

    /// <summary>Continues a running (pre-inverted) CRC over whole chunks of three <paramref name="shift"/>-long blocks, consuming them.</summary>
    private static uint AppendChunks(uint crc, ref ReadOnlySpan<byte> data, Shift shift)
    {
        var block = shift.BlockBytes;
        while (data.Length >= 3 * block)
        {
            ref var first = ref MemoryMarshal.GetReference(data);
            uint a = crc, b = 0, c = 0;
            for (var i = 0; i < block; i += sizeof(ulong))
            {
                a = BitOperations.Crc32C(a, ReadUInt64(ref first, i));
                b = BitOperations.Crc32C(b, ReadUInt64(ref first, block + i));
                c = BitOperations.Crc32C(c, ReadUInt64(ref first, (2 * block) + i));
            }

            crc = shift.OverTwoBlocks(a) ^ shift.OverOneBlock(b) ^ c;
            data = data[(3 * block)..];
        }

        return crc;
    }

    /// <summary>Continues a running (pre-inverted) CRC over all of <paramref name="data"/>, 8 bytes at a time and then the rest byte by byte.</summary>
    private static uint AppendSingle(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    // The caller has checked that the 8 bytes lie within its span.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte first, int offset)
    {
        var value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>What a CRC register becomes over one block, and over two blocks, of zero bytes: a table per byte of the register.</summary>
    private sealed class Shift
    {
        private readonly uint[] _oneBlock;
        private readonly uint[] _twoBlocks;

        public Shift(int blockBytes)
        {
            BlockBytes = blockBytes;
            _oneBlock = Tabulate(blockBytes);
            _twoBlocks = Tabulate(2 * blockBytes);
        }

        public int BlockBytes { get; }

        public uint OverOneBlock(uint crc) => Apply(_oneBlock, crc);

        public uint OverTwoBlocks(uint crc) => Apply(_twoBlocks, crc);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint Apply(uint[] table, uint crc) =>
            table[(byte)crc] ^ table[256 + (byte)(crc >> 8)] ^ table[512 + (byte)(crc >> 16)] ^ table[768 + (crc >> 24)];

        /// <summary>Runs each single-bit register over the zeros, then XORs those results for every value of each register byte.</summary>
        private static uint[] Tabulate(int zeroBytes)
        {
            Span<uint> bits = stackalloc uint[32];
            for (var bit = 0; bit < bits.Length; bit++)
            {
                var register = 1u << bit;
                for (var i = 0; i < zeroBytes; i += sizeof(ulong))
                {
                    register = BitOperations.Crc32C(register, 0UL);
                }

                bits[bit] = register;
            }

            var table = new uint[4 * 256];
            for (var position = 0; position < 4; position++)
            {
                for (var value = 0; value < 256; value++)
                {
                    var shifted = 0u;
                    for (var bit = 0; bit < 8; bit++)
                    {
                        if ((value & (1 << bit)) != 0)
                        {
                            shifted ^= bits[(8 * position) + bit];
                        }
                    }

                    table[(256 * position) + value] = shifted;
                }
            }

            return table;
        }
    }
}
