using System.Buffers.Binary;
using OrleansBroker.Records;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// Builds valid Kafka RecordBatch v2 bytes for tests (the broker's codec lives elsewhere): the header
/// fields at their documented positions, minimal records, and the CRC-32C over attributes..end.
/// </summary>
internal static class TestBatches
{
    private const int LengthOffset = 8;
    private const int EpochOffset = 12;
    private const int MagicOffset = 16;
    private const int CrcOffset = 17;
    private const int LastOffsetDeltaOffset = 23;
    private const int BaseTimestampOffset = 27;
    private const int MaxTimestampOffset = 35;
    private const int ProducerIdOffset = 43;
    private const int ProducerEpochOffset = 51;
    private const int BaseSequenceOffset = 53;
    private const int RecordCountOffset = 57;

    /// <summary>A batch of <paramref name="records"/> records, each with no key and a value of <paramref name="valueBytes"/> bytes of <paramref name="fill"/>.</summary>
    public static byte[] Create(int records, int valueBytes = 8, long timestamp = 0, byte fill = 0x5A)
    {
        var body = new List<byte>();
        for (var i = 0; i < records; i++)
        {
            var record = new List<byte> { 0 };
            WriteVarLong(record, 0);
            WriteVarLong(record, i);
            WriteVarLong(record, -1);
            WriteVarLong(record, valueBytes);
            record.AddRange(Enumerable.Repeat(fill, valueBytes));
            WriteVarLong(record, 0);
            WriteVarLong(body, record.Count);
            body.AddRange(record);
        }

        var batch = new byte[RecordBatch.HeaderSize + body.Count];
        body.CopyTo(batch, RecordBatch.HeaderSize);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(LengthOffset), batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(EpochOffset), -1);
        batch[MagicOffset] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(LastOffsetDeltaOffset), records - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(BaseTimestampOffset), timestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(MaxTimestampOffset), timestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(ProducerIdOffset), -1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(ProducerEpochOffset), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(BaseSequenceOffset), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordCountOffset), records);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(CrcOffset), Crc32C.Compute(batch.AsSpan(RecordBatch.CrcStart)));
        return batch;
    }

    /// <summary>Splits bytes read from a log into its batches.</summary>
    public static List<byte[]> Split(ReadOnlyMemory<byte> bytes)
    {
        var batches = new List<byte[]>();
        while (!bytes.IsEmpty)
        {
            var size = RecordBatch.ReadTotalSize(bytes.Span);
            batches.Add(bytes[..size].ToArray());
            bytes = bytes[size..];
        }

        return batches;
    }

    public static long BaseOffset(byte[] batch) => RecordBatch.ReadBaseOffset(batch);

    public static int RecordCount(byte[] batch) => BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(RecordCountOffset));

    private static void WriteVarLong(List<byte> output, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        while (zigzag >= 0x80)
        {
            output.Add((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }

        output.Add((byte)zigzag);
    }
}
