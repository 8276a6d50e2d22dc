using System.Buffers.Binary;

namespace OrleansBroker.Records;

/// <summary>
/// 32-bit MurmurHash2 exactly as Kafka's <c>Utils.murmur2</c> computes it, so that a key lands in the same
/// partition here as with Kafka's producers.
/// <code>
///  data:  +-----------+-----------+-----+-----------+----------+
///         | block 0   | block 1   | ... | block n-1 | tail 0-3 |   blocks: 4 bytes, little-endian
///         +-----------+-----------+-----+-----------+----------+
///  h = seed ^ length;  per block: k *= m; k ^= k >>> 24; k *= m; h *= m; h ^= k
///  tail: bytes xored in at bit 16 / 8 / 0, then h *= m;  finally h ^= h >>> 13; h *= m; h ^= h >>> 15
/// </code>
/// </summary>
public static class Murmur2
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>Hashes <paramref name="data"/>; the result is signed, as Java's int.</summary>
    public static int Hash(ReadOnlySpan<byte> data)
    {
        var h = Seed ^ (uint)data.Length;
        var blocks = data.Length / 4 * 4;
        for (var i = 0; i < blocks; i += 4)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        var tail = data[blocks..];
        if (!tail.IsEmpty)
        {
            if (tail.Length == 3)
            {
                h ^= (uint)tail[2] << 16;
            }

            if (tail.Length >= 2)
            {
                h ^= (uint)tail[1] << 8;
            }

            h ^= tail[0];
            h *= M;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return (int)h;
    }
}
