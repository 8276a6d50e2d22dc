using CsCheck;

namespace OrleansBroker.Records.Tests;

public sealed class RecordBatchSlicerTests
{
    [Fact]
    public void A_slice_is_a_valid_batch_of_exactly_the_records_in_the_range_with_their_offsets_and_contents()
    {
        var gen = Gen.Int[1, 200].SelectMany(count => Gen.Select(
            TestRecord.Any.Array[count],
            Gen.Long[0, 1L << 40],
            Gen.Int[0, count - 1],
            Gen.Int[0, count - 1],
            Gen.Int[-1, int.MaxValue]));
        gen.Sample((records, baseOffset, a, b, baseSequence) =>
        {
            // Arrange
            var (from, to) = (Math.Min(a, b), Math.Max(a, b));
            var batch = TestRecord.BuildBatch(records, baseOffset, baseSequence);
            var destination = new byte[batch.Length];

            // Act
            var status = RecordBatchSlicer.TrySlice(batch, baseOffset + from, baseOffset + to, destination, out var written);

            // Assert
            Assert.Equal(BatchStatus.Valid, status);
            Assert.Equal(BatchStatus.Valid, RecordBatchHeader.TryRead(destination.AsSpan(0, written), int.MaxValue, out var header));
            Assert.Equal(baseOffset + from, header.BaseOffset);
            Assert.Equal(to - from + 1, header.RecordCount);
            Assert.Equal(baseSequence < 0 ? baseSequence : (int)((baseSequence + (long)from) % ((long)int.MaxValue + 1)), header.BaseSequence);
            var read = TestRecord.ReadAll(destination.AsMemory(0, written), out var reader);
            Assert.Equal(BatchStatus.Valid, reader.Status);
            Assert.Equal(Enumerable.Range(from, to - from + 1).Select(i => baseOffset + i), read.Select(r => r.Offset));
            for (var i = from; i <= to; i++)
            {
                TestRecord.AssertEqual(records[i], read[i - from].Record);
            }
        }, iter: 100);
    }

    [Fact]
    public void A_batch_inside_the_range_is_copied_unchanged_and_one_outside_it_writes_nothing()
    {
        var records = Enumerable.Range(0, 10).Select(i => new TestRecord(i, null, [(byte)i], [])).ToArray();
        var batch = TestRecord.BuildBatch(records, baseOffset: 100, baseSequence: 7);
        var destination = new byte[batch.Length];

        Assert.Equal(BatchStatus.Valid, RecordBatchSlicer.TrySlice(batch, 50, 200, destination, out var whole));
        Assert.Equal(batch, destination[..whole]);

        Assert.Equal(BatchStatus.Valid, RecordBatchSlicer.TrySlice(batch, 110, 120, destination, out var after));
        Assert.Equal(BatchStatus.Valid, RecordBatchSlicer.TrySlice(batch, 0, 99, destination, out var before));
        Assert.Equal((0, 0), (after, before));
    }

    [Fact]
    public void A_slice_of_a_record_past_offset_delta_127_shrinks_its_varints_and_stays_valid()
    {
        var records = Enumerable.Range(0, 200).Select(i => new TestRecord(1_000 + i, [(byte)i], new byte[100], [])).ToArray();
        var batch = TestRecord.BuildBatch(records);
        var destination = new byte[batch.Length];

        var status = RecordBatchSlicer.TrySlice(batch, 150, 199, destination, out var written);

        Assert.Equal(BatchStatus.Valid, status);
        var read = TestRecord.ReadAll(destination.AsMemory(0, written), out var reader);
        Assert.Equal(BatchStatus.Valid, reader.Status);
        Assert.Equal(Enumerable.Range(150, 50).Select(i => (long)i), read.Select(r => r.Offset));
        Assert.Equal(Enumerable.Range(150, 50).Select(i => 1_000L + i), read.Select(r => r.Record.Timestamp));
    }
}
