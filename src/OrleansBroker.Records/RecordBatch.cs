using System.Buffers.Binary;

namespace OrleansBroker.Records;

/// <summary>
/// The fixed header of a Kafka RecordBatch v2. All integers are big-endian.
/// <code>
///  0                   8          12                    16    17        21           23
///  +-------------------+----------+---------------------+-----+---------+------------+
///  | baseOffset int64  | length   | partitionLeaderEpoch|magic| crc u32 | attributes |
///  |                   | int32    | int32               | =2  |         | int16      |
///  +-------------------+----------+---------------------+-----+---------+------------+
///  23                  27                    35                    43
///  +-------------------+---------------------+---------------------+
///  | lastOffsetDelta   | baseTimestamp int64 | maxTimestamp int64  |
///  +-------------------+---------------------+---------------------+
///  43                  51              53               57              61
///  +-------------------+---------------+----------------+---------------+----------
///  | producerId int64  | producerEpoch | baseSequence   | recordCount   | records...
///  |                   | int16         | int32          | int32         |
///  +-------------------+---------------+----------------+---------------+----------
/// </code>
/// <c>length</c> counts the bytes after itself; the CRC covers <c>attributes</c> to the end. The
/// broker writes <c>baseOffset</c> and <c>partitionLeaderEpoch</c> in place: both lie outside the CRC.
/// </summary>
public static class RecordBatch
{
    /// <summary>Size of the fixed header that precedes the records.</summary>
    public const int HeaderSize = 61;

    /// <summary>Bytes before the <c>length</c> field ends: baseOffset and length themselves.</summary>
    public const int LogOverhead = 12;

    /// <summary>The only magic value this codec reads and writes.</summary>
    public const byte CurrentMagic = 2;

    /// <summary>Position of the first byte covered by the CRC.</summary>
    public const int CrcStart = AttributesOffset;

    internal const int BaseOffsetOffset = 0;
    internal const int LengthOffset = 8;
    internal const int PartitionLeaderEpochOffset = 12;
    internal const int MagicOffset = 16;
    internal const int CrcOffset = 17;
    internal const int AttributesOffset = 21;
    internal const int LastOffsetDeltaOffset = 23;
    internal const int BaseTimestampOffset = 27;
    internal const int MaxTimestampOffset = 35;
    internal const int ProducerIdOffset = 43;
    internal const int ProducerEpochOffset = 51;
    internal const int BaseSequenceOffset = 53;
    internal const int RecordCountOffset = 57;

    /// <summary>Reads the base offset of the batch at the start of <paramref name="batch"/>.</summary>
    public static long ReadBaseOffset(ReadOnlySpan<byte> batch) => BinaryPrimitives.ReadInt64BigEndian(batch);

    /// <summary>Writes the base offset; the CRC does not cover it, so no checksum changes.</summary>
    public static void WriteBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);

    /// <summary>Writes the partition leader epoch (outside the CRC, like the base offset).</summary>
    public static void WritePartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], epoch);

    /// <summary>
    /// The offset after the last whole batch in <paramref name="batches"/> (concatenated batches, as a fetch
    /// returns them); reads only the headers. Throws when the buffer holds no whole batch.
    /// </summary>
    public static long ReadNextOffset(ReadOnlySpan<byte> batches)
    {
        var nextOffset = -1L;
        while (batches.Length >= HeaderSize && ReadTotalSize(batches) is var size && size >= HeaderSize && size <= batches.Length)
        {
            nextOffset = ReadBaseOffset(batches) + BinaryPrimitives.ReadInt32BigEndian(batches[LastOffsetDeltaOffset..]) + 1;
            batches = batches[size..];
        }

        return nextOffset >= 0 ? nextOffset : throw new ArgumentException("The buffer holds no whole record batch.", nameof(batches));
    }

    /// <summary>Total size of the batch on the wire, from its <c>length</c> field.</summary>
    public static int ReadTotalSize(ReadOnlySpan<byte> batch) =>
        LogOverhead + BinaryPrimitives.ReadInt32BigEndian(batch[LengthOffset..]);
}
