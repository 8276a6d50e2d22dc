using CsCheck;

namespace OrleansBroker.Records.Tests;

public sealed class RecordBatchRoundTripTests
{
    [Fact]
    public void Records_read_back_from_a_built_batch_equal_the_records_appended()
    {
        TestRecord.Any.Array[1, 40].Sample(records =>
        {
            // Arrange
            using var builder = new RecordBatchBuilder(initialCapacity: 0);
            foreach (var record in records)
            {
                record.AppendTo(builder);
            }

            // Act
            var batch = builder.Build();
            var read = TestRecord.ReadAll(batch, out var reader);

            // Assert
            Assert.Equal(builder.SizeInBytes, batch.Length);
            Assert.Equal(BatchStatus.Valid, RecordBatchValidator.Validate(batch.Span, int.MaxValue));
            Assert.Equal(BatchStatus.Valid, reader.Status);
            Assert.Equal(records.Length, read.Count);
            Assert.Equal(records.Length, reader.NextOffset);
            for (var i = 0; i < records.Length; i++)
            {
                Assert.Equal(i, read[i].Offset);
                TestRecord.AssertEqual(records[i], read[i].Record);
            }
        }, iter: 300);
    }

    [Fact]
    public void TryAppend_takes_a_record_exactly_when_the_batch_stays_within_the_limit()
    {
        TestRecord.Any.Array[1, 20].Sample(records =>
        {
            // Arrange
            using var reference = new RecordBatchBuilder(initialCapacity: 0);
            using var builder = new RecordBatchBuilder(initialCapacity: 0);
            foreach (var record in records)
            {
                var before = reference.SizeInBytes;
                record.AppendTo(reference);
                var limit = reference.SizeInBytes;

                // Act
                var oneByteShort = record.TryAppendTo(builder, limit - 1);
                var sizeAfterRefusal = builder.SizeInBytes;
                var exactFit = record.TryAppendTo(builder, limit);

                // Assert
                Assert.False(oneByteShort);
                Assert.Equal(before, sizeAfterRefusal);
                Assert.True(exactFit);
                Assert.Equal(limit, builder.SizeInBytes);
            }

            Assert.Equal(reference.Build().ToArray(), builder.Build().ToArray());
        });
    }

    [Fact]
    public void Concatenated_batches_read_back_in_order_with_the_offsets_the_broker_assigned()
    {
        Gen.Select(TestRecord.Any.Array[1, 10].Array[1, 6], Gen.Long[0, 1L << 50]).Sample((batches, firstOffset) =>
        {
            // Arrange
            var buffer = new List<byte>();
            var offset = firstOffset;
            foreach (var records in batches)
            {
                buffer.AddRange(TestRecord.BuildBatch(records, offset));
                offset += records.Length;
            }

            // Act
            var read = TestRecord.ReadAll(buffer.ToArray(), out var reader);

            // Assert
            var expected = batches.SelectMany(b => b).ToArray();
            Assert.Equal(BatchStatus.Valid, reader.Status);
            Assert.Equal(expected.Length, read.Count);
            Assert.Equal(offset, reader.NextOffset);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.Equal(firstOffset + i, read[i].Offset);
                TestRecord.AssertEqual(expected[i], read[i].Record);
            }
        }, iter: 100);
    }

    [Fact]
    public void A_partial_batch_at_the_end_of_a_fetch_ends_reading_cleanly_after_the_whole_batches()
    {
        var gen = Gen.Select(TestRecord.Any.Array[1, 10], TestRecord.Any.Array[1, 10], Gen.Double[0, 1]);
        gen.Sample((whole, torn, cutFraction) =>
        {
            // Arrange
            var first = TestRecord.BuildBatch(whole, baseOffset: 100);
            var second = TestRecord.BuildBatch(torn, baseOffset: 100 + whole.Length);
            var cut = 1 + (int)(cutFraction * (second.Length - 2));
            var buffer = first.Concat(second.Take(cut)).ToArray();

            // Act
            var read = TestRecord.ReadAll(buffer, out var reader);

            // Assert
            Assert.Equal(BatchStatus.Valid, reader.Status);
            Assert.Equal(whole.Length, read.Count);
            Assert.Equal(100 + whole.Length, reader.NextOffset);
        }, iter: 200);
    }

    [Fact]
    public void Reading_an_empty_buffer_yields_nothing_and_a_valid_status()
    {
        // Arrange
        var reader = new RecordBatchReader(ReadOnlyMemory<byte>.Empty);

        // Act
        var any = reader.TryReadNext(out _);

        // Assert
        Assert.False(any);
        Assert.Equal(BatchStatus.Valid, reader.Status);
        Assert.Equal(-1, reader.NextOffset);
    }

    [Fact]
    public void Headers_enumerate_as_slices_without_decoding_keys()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();
        RecordHeader[] headers = [new("trace", new byte[] { 1, 2 }), new("empty", ReadOnlyMemory<byte>.Empty), new("none", null)];
        builder.Append(5, "k"u8, false, "v"u8, false, headers);
        var reader = new RecordBatchReader(builder.Build());
        Assert.True(reader.TryReadNext(out var record));

        // Act
        var views = new List<RecordHeaderView>();
        foreach (var view in record.Headers)
        {
            views.Add(view);
        }

        // Assert
        Assert.Equal(3, record.Headers.Count);
        Assert.Equal("trace"u8.ToArray(), views[0].Key.ToArray());
        Assert.Equal(new byte[] { 1, 2 }, views[0].Value.ToArray());
        Assert.False(views[1].ValueIsNull);
        Assert.True(views[1].Value.IsEmpty);
        Assert.True(views[2].ValueIsNull);
    }
}
