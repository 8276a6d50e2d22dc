namespace OrleansBroker.Records.Tests;

public sealed class RecordBatchCorruptionTests
{
    private const int MaxBatchSize = 1024 * 1024;

    public static TheoryData<byte> Masks => [0x01, 0x80, 0xFF];

    [Fact]
    public void A_valid_batch_is_handed_out_with_the_header_it_was_validated_with_and_a_corrupt_one_is_not()
    {
        var batch = TestRecord.BuildBatch([new TestRecord(1_700_000_000_000, "k"u8.ToArray(), "v"u8.ToArray(), [])]);
        var corrupt = (byte[])batch.Clone();
        corrupt[^1] ^= 1;

        var valid = RecordBatchValidator.Validate(batch.AsMemory(), MaxBatchSize, out var validated);
        var invalid = RecordBatchValidator.Validate(corrupt.AsMemory(), MaxBatchSize, out var notValidated);

        Assert.Equal(BatchStatus.Valid, valid);
        Assert.Equal(BatchStatus.Valid, RecordBatchHeader.TryRead(batch, MaxBatchSize, out var header));
        Assert.Equal(header, validated.Header);
        Assert.True(validated.Bytes.Span.SequenceEqual(batch));
        Assert.NotEqual(BatchStatus.Valid, invalid);
        Assert.True(notValidated.Bytes.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Masks))]
    public void Every_single_byte_corruption_outside_the_broker_owned_fields_is_detected(byte mask)
    {
        // Arrange
        var batch = TestRecord.BuildBatch(
        [
            new TestRecord(1_700_000_000_000, "key-1"u8.ToArray(), "value-1"u8.ToArray(), [new TestHeader("h", [1, 2, 3])]),
            new TestRecord(1_700_000_000_005, null, "value-2"u8.ToArray(), []),
            new TestRecord(1_699_999_999_990, [], null, [new TestHeader("n", null)]),
        ]);

        for (var position = 0; position < batch.Length; position++)
        {
            var corrupt = (byte[])batch.Clone();
            corrupt[position] ^= mask;

            // Act
            var validated = RecordBatchValidator.Validate(corrupt, MaxBatchSize);
            var headerRead = RecordBatchHeader.TryRead(corrupt, MaxBatchSize, out _);
            var recordsRead = TestRecord.ReadAll(corrupt, out _).Count;

            // Assert
            if (IsBrokerOwned(position))
            {
                // baseOffset (0..7) and partitionLeaderEpoch (12..15) lie before the CRC on purpose: the broker
                // rewrites them in place when it appends, without recomputing the checksum. A wrong value
                // there is the broker's own bug to prevent, not data corruption the CRC could see.
                Assert.Equal(BatchStatus.Valid, validated);
                Assert.Equal(BatchStatus.Valid, headerRead);
                Assert.Equal(3, recordsRead);
            }
            else
            {
                Assert.True(validated != BatchStatus.Valid, $"Validate missed a corruption at byte {position}.");
                Assert.True(headerRead != BatchStatus.Valid, $"TryRead missed a corruption at byte {position}.");
                Assert.True(recordsRead == 0, $"The reader served records despite a corruption at byte {position}.");
            }
        }
    }

    private static bool IsBrokerOwned(int position) => position is (>= 0 and < 8) or (>= 12 and < 16);
}
