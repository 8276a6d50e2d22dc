using System.Buffers.Binary;

namespace OrleansBroker.Records.Tests;

/// <summary>
/// Hand-made batches with a correct CRC but impossible contents: every one must come back as a typed
/// status from both the validator and the reader, without an exception and without allocating.
/// </summary>
public sealed class RecordBatchLimitsTests
{
    private const int MaxBatchSize = 1024 * 1024;

    public static TheoryData<string, byte[], BatchStatus> CorruptBatches => new()
    {
        { "a record count of int.MaxValue", TestRecord.Seal(Minimal(0), int.MaxValue, lastOffsetDelta: int.MaxValue - 1), BatchStatus.InvalidRecordCount },
        { "a negative record count", TestRecord.Seal(Minimal(0), -1), BatchStatus.InvalidRecordCount },
        { "a count above the records present", TestRecord.Seal(Record([0, 0, 0, .. V(-1), .. V(10), .. new byte[10], 0]), 2), BatchStatus.InvalidRecordCount },
        { "records beyond the count", TestRecord.Seal([.. Minimal(0), .. Minimal(1)], 1), BatchStatus.InvalidRecordCount },
        { "a last offset delta beyond the count", TestRecord.Seal(Minimal(0), 1, lastOffsetDelta: 5), BatchStatus.InvalidRecordCount },
        { "compressed attributes", TestRecord.Seal(Minimal(0), 1, attributes: 1), BatchStatus.InvalidRecord },
        { "a negative record length", TestRecord.Seal([.. V(-2), 0, 0, 0, 1, 1, 0], 1), BatchStatus.InvalidRecord },
        { "a record length past the end", TestRecord.Seal([.. V(1000), 0, 0, 0, 1, 1, 0], 1), BatchStatus.InvalidRecord },
        { "a record length of int.MaxValue", TestRecord.Seal([.. V(int.MaxValue), 0, 0, 0, 1, 1, 0], 1), BatchStatus.InvalidRecord },
        { "an empty record", TestRecord.Seal([.. V(0), 0, 0, 0, 0, 0, 0], 1), BatchStatus.InvalidRecord },
        { "a key length of int.MaxValue", TestRecord.Seal(Record([0, 0, 0, .. V(int.MaxValue), 1, 0]), 1), BatchStatus.InvalidRecord },
        { "a key length of -2", TestRecord.Seal(Record([0, 0, 0, .. V(-2), 1, 0]), 1), BatchStatus.InvalidRecord },
        { "a value length past the record", TestRecord.Seal(Record([0, 0, 0, 1, .. V(5), 9, 9, 0]), 1), BatchStatus.InvalidRecord },
        { "a header count of int.MaxValue", TestRecord.Seal(Record([0, 0, 0, 1, 1, .. V(int.MaxValue)]), 1), BatchStatus.InvalidRecord },
        { "a negative header count", TestRecord.Seal(Record([0, 0, 0, 1, 1, .. V(-1)]), 1), BatchStatus.InvalidRecord },
        { "a null header key", TestRecord.Seal(Record([0, 0, 0, 1, 1, .. V(1), .. V(-1), .. V(-1)]), 1), BatchStatus.InvalidRecord },
        { "a header value past the record", TestRecord.Seal(Record([0, 0, 0, 1, 1, .. V(1), .. V(1), 0x68, .. V(50), 1]), 1), BatchStatus.InvalidRecord },
        { "a timestamp delta longer than 10 bytes", TestRecord.Seal(Record([0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 1, 1, 0]), 1), BatchStatus.InvalidRecord },
        { "a timestamp delta overflowing 64 bits", TestRecord.Seal(Record([0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, 1, 1, 0]), 1), BatchStatus.InvalidRecord },
        { "an offset delta overflowing 32 bits", TestRecord.Seal(Record([0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 1, 1, 0]), 1), BatchStatus.InvalidRecord },
        { "a varint cut off by the record end", TestRecord.Seal(Record([0, 0, 0, 1, 1, 0x80]), 1), BatchStatus.InvalidRecord },
        { "an offset delta that is not the record's index", TestRecord.Seal(Minimal(1), 1), BatchStatus.InvalidRecord },
        { "spare bytes inside a record", TestRecord.Seal(Record([0, 0, 0, 1, 1, 0, 0, 0]), 1), BatchStatus.InvalidRecord },
        { "a negative batch length", WithLength(TestRecord.Seal(Minimal(0), 1), int.MinValue), BatchStatus.InvalidLength },
        { "a batch length smaller than a header", WithLength(TestRecord.Seal(Minimal(0), 1), 10), BatchStatus.InvalidLength },
        { "a batch length of int.MaxValue", WithLength(TestRecord.Seal(Minimal(0), 1), int.MaxValue), BatchStatus.TooLarge },
        { "magic 1", WithMagic(TestRecord.Seal(Minimal(0), 1), 1), BatchStatus.UnsupportedMagic },
    };

    [Theory]
    [MemberData(nameof(CorruptBatches))]
    public void A_corrupt_batch_gets_a_typed_status_without_exception_or_allocation(string because, byte[] batch, BatchStatus expected)
    {
        // Arrange: run both once so that first-call costs are not counted.
        RecordBatchValidator.Validate(batch, MaxBatchSize);
        ReadToEnd(batch);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        // Act
        var validated = RecordBatchValidator.Validate(batch, MaxBatchSize);
        var read = ReadToEnd(batch);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        // Assert
        Assert.True(expected == validated, $"{because}: the validator said {validated}.");
        Assert.True(expected == read, $"{because}: the reader said {read}.");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void The_validator_rejects_bytes_after_the_batch()
    {
        // Arrange
        var batch = TestRecord.Seal(Minimal(0), 1);

        // Act
        var withTrailingByte = RecordBatchValidator.Validate([.. batch, 0], MaxBatchSize);
        var twoBatches = RecordBatchValidator.Validate([.. batch, .. batch], MaxBatchSize);

        // Assert
        Assert.Equal(BatchStatus.InvalidLength, withTrailingByte);
        Assert.Equal(BatchStatus.InvalidLength, twoBatches);
    }

    [Fact]
    public void The_validator_reports_a_cut_batch_as_incomplete()
    {
        // Arrange
        var batch = TestRecord.Seal(Minimal(0), 1);

        // Act
        var cutInHeader = RecordBatchValidator.Validate(batch.AsSpan(0, 30), MaxBatchSize);
        var cutInRecords = RecordBatchValidator.Validate(batch.AsSpan(0, batch.Length - 1), MaxBatchSize);

        // Assert
        Assert.Equal(BatchStatus.Incomplete, cutInHeader);
        Assert.Equal(BatchStatus.Incomplete, cutInRecords);
    }

    [Fact]
    public void The_validator_rejects_a_batch_larger_than_the_limit()
    {
        // Arrange
        var batch = TestRecord.BuildBatch([new TestRecord(0, null, new byte[1000], [])]);

        // Act
        var status = RecordBatchValidator.Validate(batch, maxBatchSize: 1000);

        // Assert
        Assert.Equal(BatchStatus.TooLarge, status);
    }

    [Fact]
    public void A_hand_made_minimal_batch_is_valid_so_the_corrupt_cases_fail_for_their_stated_reason()
    {
        // Arrange
        var batch = TestRecord.Seal([.. Minimal(0), .. Minimal(1)], 2);

        // Act
        var status = RecordBatchValidator.Validate(batch, MaxBatchSize);
        var read = ReadToEnd(batch);

        // Assert
        Assert.Equal(BatchStatus.Valid, status);
        Assert.Equal(BatchStatus.Valid, read);
    }

    /// <summary>The smallest record: null key, null value, no headers, timestamp delta 0.</summary>
    private static byte[] Minimal(int offsetDelta) => Record([0, 0, .. V(offsetDelta), .. V(-1), .. V(-1), 0]);

    /// <summary>Prefixes a record body with its length.</summary>
    private static byte[] Record(byte[] body) => [.. V(body.Length), .. body];

    private static byte[] V(int value)
    {
        var bytes = new byte[Varint.MaxInt32Size];
        return bytes[..Varint.Write(bytes, value)];
    }

    private static byte[] WithLength(byte[] batch, int length)
    {
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(8), length);
        return batch;
    }

    private static byte[] WithMagic(byte[] batch, byte magic)
    {
        batch[16] = magic;
        return batch;
    }

    private static BatchStatus ReadToEnd(byte[] batch)
    {
        var reader = new RecordBatchReader(batch, MaxBatchSize);
        while (reader.TryReadNext(out _))
        {
        }

        return reader.Status;
    }
}
