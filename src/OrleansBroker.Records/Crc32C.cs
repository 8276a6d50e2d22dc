using System.Buffers.Binary;
using System.Numerics;

namespace OrleansBroker.Records;

/// <summary>CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2, on the CPU's CRC32 instruction.</summary>
public static class Crc32C
{
    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);

    /// <summary>Continues a running (pre-inverted) CRC over more bytes; the caller inverts the final value.</summary>
    private static uint Append(uint crc, ReadOnlySpan<byte> data)
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
}
