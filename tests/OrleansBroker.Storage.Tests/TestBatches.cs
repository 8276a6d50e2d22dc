using OrleansBroker.Records;

namespace OrleansBroker.Storage.Tests;

/// <summary>Valid Kafka RecordBatch v2 bytes for tests, built by the broker's own <see cref="RecordBatchBuilder"/>.</summary>
internal static class TestBatches
{
    /// <summary>A batch of <paramref name="records"/> records, each with no key and a value of <paramref name="valueBytes"/> bytes of <paramref name="fill"/>.</summary>
    public static byte[] Create(int records, int valueBytes = 8, long timestamp = 0, byte fill = 0x5A) =>
        Build(records, valueBytes, timestamp, fill, producerId: -1, producerEpoch: -1, baseSequence: -1);

    /// <summary>An idempotent producer's batch: its records carry the sequence numbers from <paramref name="baseSequence"/> on.</summary>
    public static byte[] FromProducer(long producerId, short producerEpoch, int baseSequence, int records = 2, byte fill = 0x5A) =>
        Build(records, valueBytes: 8, timestamp: 0, fill, producerId, producerEpoch, baseSequence);

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

    public static int RecordCount(byte[] batch) => RecordBatchHeader.ReadUnchecked(batch).RecordCount;

    private static byte[] Build(int records, int valueBytes, long timestamp, byte fill, long producerId, short producerEpoch, int baseSequence)
    {
        var value = new byte[valueBytes];
        value.AsSpan().Fill(fill);
        using var builder = new RecordBatchBuilder();
        for (var i = 0; i < records; i++)
        {
            builder.Append(timestamp, default, keyIsNull: true, value, valueIsNull: false, []);
        }

        return builder.Build(producerId, producerEpoch, baseSequence).ToArray();
    }
}
