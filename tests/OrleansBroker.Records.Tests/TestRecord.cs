using System.Buffers.Binary;
using CsCheck;

namespace OrleansBroker.Records.Tests;

/// <summary>A record as the tests see it: plain arrays, <see langword="null"/> for a null key or value.</summary>
internal sealed record TestRecord(long Timestamp, byte[]? Key, byte[]? Value, TestHeader[] Headers)
{
    private static readonly Gen<byte[]?> Bytes = Gen.Frequency(
        (1, Gen.Const((byte[]?)null)),
        (1, Gen.Const<byte[]?>([])),
        (8, Gen.Byte.Array[1, 64].Select(b => (byte[]?)b)),
        (1, Gen.Byte.Array[1_000, 20_000].Select(b => (byte[]?)b)));

    // Below the surrogate range, so every string survives a UTF-8 round trip; still multi-byte characters.
    private static readonly Gen<string> HeaderKey = Gen.Char[' ', '\uD7FF'].Array[0, 12].Select(c => new string(c));

    private static readonly Gen<TestHeader> Header = Gen.Select(
        HeaderKey,
        Gen.Frequency((1, Gen.Const((byte[]?)null)), (4, Gen.Byte.Array[0, 32].Select(b => (byte[]?)b))),
        (key, value) => new TestHeader(key, value));

    /// <summary>Any record: null, empty, small and large keys and values; headers; past and future timestamps.</summary>
    public static readonly Gen<TestRecord> Any = Gen.Select(
        Gen.Long[-(1L << 40), 1L << 45],
        Bytes,
        Bytes,
        Header.Array[0, 4],
        (timestamp, key, value, headers) => new TestRecord(timestamp, key, value, headers));

    public static TestRecord From(Record record) => new(
        record.Timestamp,
        record.KeyIsNull ? null : record.Key.ToArray(),
        record.ValueIsNull ? null : record.Value.ToArray(),
        [.. record.Headers.ToArray().Select(h => new TestHeader(h.Key, h.Value?.ToArray()))]);

    public RecordHeader[] RecordHeaders() =>
        [.. Headers.Select(h => new RecordHeader(h.Key, h.Value is null ? (ReadOnlyMemory<byte>?)null : h.Value))];

    public void AppendTo(RecordBatchBuilder builder)
    {
        builder.Append(Timestamp, Key, Key is null, Value, Value is null, RecordHeaders());
    }

    public bool TryAppendTo(RecordBatchBuilder builder, int maxSizeInBytes) =>
        builder.TryAppend(Timestamp, Key, Key is null, Value, Value is null, RecordHeaders(), maxSizeInBytes);

    /// <summary>Builds one batch of <paramref name="records"/> at <paramref name="baseOffset"/>, as the broker stores it.</summary>
    /// <param name="records">The records.</param>
    /// <param name="baseOffset">The offset the broker gave the batch.</param>
    /// <param name="baseSequence">An idempotent producer's sequence of the first record (producer 42, epoch 1), or -1 for none.</param>
    public static byte[] BuildBatch(IEnumerable<TestRecord> records, long baseOffset = 0, int baseSequence = -1)
    {
        using var builder = new RecordBatchBuilder();
        foreach (var record in records)
        {
            record.AppendTo(builder);
        }

        var batch = (baseSequence < 0 ? builder.Build() : builder.Build(producerId: 42, producerEpoch: 1, baseSequence)).ToArray();
        RecordBatch.WriteBaseOffset(batch, baseOffset);
        return batch;
    }

    /// <summary>Reads every record of <paramref name="buffer"/>; the reader comes back for its status.</summary>
    public static List<(long Offset, TestRecord Record)> ReadAll(ReadOnlyMemory<byte> buffer, out RecordBatchReader reader)
    {
        var result = new List<(long, TestRecord)>();
        reader = new RecordBatchReader(buffer);
        while (reader.TryReadNext(out var record))
        {
            result.Add((record.Offset, From(record)));
        }

        return result;
    }

    public static void AssertEqual(TestRecord expected, TestRecord actual)
    {
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Headers.Length, actual.Headers.Length);
        for (var i = 0; i < expected.Headers.Length; i++)
        {
            Assert.Equal(expected.Headers[i].Key, actual.Headers[i].Key);
            Assert.Equal(expected.Headers[i].Value, actual.Headers[i].Value);
        }
    }

    /// <summary>
    /// Wraps hand-written record bytes in a batch header with a correct CRC, so that a test reaches the
    /// record walk instead of stopping at the checksum.
    /// </summary>
    public static byte[] Seal(ReadOnlySpan<byte> records, int recordCount, int? lastOffsetDelta = null, short attributes = 0)
    {
        var batch = new byte[RecordBatch.HeaderSize + records.Length];
        records.CopyTo(batch.AsSpan(RecordBatch.HeaderSize));
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), batch.Length - RecordBatch.LogOverhead);
        RecordBatch.WritePartitionLeaderEpoch(batch, -1);
        batch[16] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), lastOffsetDelta ?? recordCount - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), -1);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(51), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(53), -1);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), recordCount);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(RecordBatch.CrcStart)));
        return batch;
    }
}

internal sealed record TestHeader(string Key, byte[]? Value);
