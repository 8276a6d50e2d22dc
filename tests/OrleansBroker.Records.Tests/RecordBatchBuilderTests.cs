using System.Buffers.Binary;

namespace OrleansBroker.Records.Tests;

public sealed class RecordBatchBuilderTests
{
    [Fact]
    public void A_built_batch_has_kafkas_record_batch_v2_bytes()
    {
        // Arrange: the expected bytes are written out by hand from Kafka's RecordBatch v2 layout.
        var expected = Convert.FromHexString(
            "0000000000000000" // baseOffset: 0, the broker assigns it
            + "00000044" // length: 80 bytes - 12
            + "FFFFFFFF" // partitionLeaderEpoch: -1
            + "02" // magic
            + "00000000" // crc, filled in below
            + "0000" // attributes: no compression, create time
            + "00000001" // lastOffsetDelta
            + "00000000000003E8" // baseTimestamp: 1000
            + "00000000000003E9" // maxTimestamp: 1001
            + "FFFFFFFFFFFFFFFF" // producerId: none
            + "FFFF" // producerEpoch: none
            + "FFFFFFFF" // baseSequence: none
            + "00000002" // recordCount
            + "0E" + "00" + "00" + "00" + "01" + "02" + "61" + "00" // length 7, attrs, ts +0, offset 0, null key, value "a", no headers
            + "14" + "00" + "02" + "02" + "026B" + "00" + "02" + "0268" + "01"); // length 10, ts +1, offset 1, key "k", empty value, header "h" = null
        BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(17), Crc32C.Compute(expected.AsSpan(21)));
        using var builder = new RecordBatchBuilder();
        builder.Append(1000, default, true, "a"u8, false, []);
        builder.Append(1001, "k"u8, false, default, false, [new RecordHeader("h", null)]);

        // Act
        var batch = builder.Build();

        // Assert
        Assert.Equal(expected, batch.ToArray());
    }

    [Fact]
    public void Max_timestamp_is_the_largest_even_when_records_arrive_out_of_order()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();
        builder.Append(500, default, true, "a"u8, false, []);
        builder.Append(900, default, true, "b"u8, false, []);
        builder.Append(100, default, true, "c"u8, false, []);

        // Act
        RecordBatchHeader.TryRead(builder.Build().Span, int.MaxValue, out var header);

        // Assert
        Assert.Equal(500, header.BaseTimestamp);
        Assert.Equal(900, header.MaxTimestamp);
        Assert.Equal(2, header.LastOffsetDelta);
    }

    [Fact]
    public void A_batch_takes_at_most_max_records()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();
        for (var i = 0; i < RecordBatchBuilder.MaxRecords; i++)
        {
            builder.Append(i, default, true, default, false, []);
        }

        // Act
        var thrown = Xunit.Record.Exception(() => builder.Append(0, default, true, default, false, []));
        var status = RecordBatchValidator.Validate(builder.Build().Span, int.MaxValue);

        // Assert
        Assert.IsType<InvalidOperationException>(thrown);
        Assert.Equal(32767, builder.Count);
        Assert.Equal(BatchStatus.Valid, status);
    }

    [Fact]
    public void Building_an_empty_batch_throws_because_kafka_has_no_empty_batches()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();

        // Act and Assert
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Fact]
    public void A_null_key_with_bytes_is_rejected()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();

        // Act
        var thrown = Xunit.Record.Exception(() => builder.Append(0, "k"u8, true, default, false, []));

        // Assert
        Assert.IsType<ArgumentException>(thrown);
        Assert.Equal(0, builder.Count);
        Assert.Equal(RecordBatch.HeaderSize, builder.SizeInBytes);
    }

    [Fact]
    public void After_reset_the_builder_makes_a_new_batch_with_offsets_from_zero()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();
        builder.Append(1, "old"u8, false, "old"u8, false, []);
        builder.Build();

        // Act
        builder.Reset();
        builder.Append(2, "new"u8, false, "new"u8, false, []);
        var read = TestRecord.ReadAll(builder.Build(), out _);

        // Assert
        var (offset, record) = Assert.Single(read);
        Assert.Equal(0, offset);
        Assert.Equal("new"u8.ToArray(), record.Key);
    }

    [Fact]
    public void The_buffer_grows_to_fit_a_record_larger_than_its_initial_capacity()
    {
        // Arrange
        using var builder = new RecordBatchBuilder(initialCapacity: 0);
        var value = new byte[1024 * 1024];
        Random.Shared.NextBytes(value);

        // Act
        builder.Append(0, default, true, value, false, []);
        var read = TestRecord.ReadAll(builder.Build(), out _);

        // Assert
        Assert.Equal(value, Assert.Single(read).Record.Value);
    }

    [Fact]
    public void Write_to_copies_the_built_batch_into_the_callers_array()
    {
        // Arrange
        using var builder = new RecordBatchBuilder();
        builder.Append(0, "k"u8, false, "v"u8, false, []);
        var destination = new byte[builder.SizeInBytes];

        // Act
        var written = builder.WriteTo(destination);

        // Assert
        Assert.Equal(destination.Length, written);
        Assert.Equal(builder.Build().ToArray(), destination);
        Assert.Throws<ArgumentException>(() => builder.WriteTo(new byte[written - 1]));
    }

    [Fact]
    public void Appending_building_validating_and_reading_allocate_nothing_per_record()
    {
        // Arrange: a first round sizes the pooled buffer and runs every path once.
        using var builder = new RecordBatchBuilder();
        var value = new byte[100];
        RecordHeader[] headers = [new("trace", value.AsMemory(0, 8))];
        RunOnce(builder, value, headers);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // Act
        var (status, headersRead) = RunOnce(builder, value, headers);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.Equal(BatchStatus.Valid, status);
        Assert.Equal(1000, headersRead);
        Assert.Equal(0, allocated);
    }

    private static (BatchStatus Status, int HeadersRead) RunOnce(RecordBatchBuilder builder, byte[] value, RecordHeader[] headers)
    {
        builder.Reset();
        for (var i = 0; i < 1000; i++)
        {
            builder.Append(i, value.AsSpan(0, 8), false, value, false, headers);
        }

        var batch = builder.Build();
        var status = RecordBatchValidator.Validate(batch.Span, int.MaxValue);
        var reader = new RecordBatchReader(batch);
        var count = 0;
        while (reader.TryReadNext(out var record))
        {
            foreach (var header in record.Headers)
            {
                count += header.Key.Length > 0 ? 1 : 0;
            }
        }

        return (status, count);
    }
}
