using CsCheck;

namespace OrleansBroker.Records.Tests;

public sealed class VarintTests
{
    // Zig-zag encodings as Kafka's ByteUtils writes them: sign folded into bit 0, 7 bits per byte.
    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x01 })]
    [InlineData(1, new byte[] { 0x02 })]
    [InlineData(63, new byte[] { 0x7E })]
    [InlineData(-64, new byte[] { 0x7F })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(300, new byte[] { 0xD8, 0x04 })]
    [InlineData(int.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(int.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void Int32_encodings_match_kafka(int value, byte[] expected)
    {
        // Arrange
        var buffer = new byte[Varint.MaxInt32Size];

        // Act
        var written = Varint.Write(buffer, value);
        var read = Varint.TryRead(expected, out int decoded, out var bytesRead);

        // Assert
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOf(value));
        Assert.True(read);
        Assert.Equal(value, decoded);
        Assert.Equal(expected.Length, bytesRead);
    }

    [Theory]
    [InlineData(long.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(long.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [InlineData(-1L, new byte[] { 0x01 })]
    public void Int64_encodings_match_kafka(long value, byte[] expected)
    {
        // Arrange
        var buffer = new byte[Varint.MaxInt64Size];

        // Act
        var written = Varint.Write(buffer, value);
        var read = Varint.TryRead(expected, out long decoded, out var bytesRead);

        // Assert
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, Varint.SizeOf(value));
        Assert.True(read);
        Assert.Equal(value, decoded);
        Assert.Equal(expected.Length, bytesRead);
    }

    [Fact]
    public void Any_int32_round_trips_in_exactly_its_size()
    {
        Gen.Int.Sample(value =>
        {
            // Arrange
            var buffer = new byte[Varint.MaxInt32Size + 1];

            // Act
            var written = Varint.Write(buffer, value);
            var read = Varint.TryRead(buffer, out int decoded, out var bytesRead);

            // Assert
            Assert.True(read);
            Assert.Equal(value, decoded);
            Assert.Equal(written, bytesRead);
            Assert.Equal(Varint.SizeOf(value), written);
        }, iter: 10_000);
    }

    [Fact]
    public void Any_int64_round_trips_in_exactly_its_size()
    {
        Gen.Long.Sample(value =>
        {
            // Arrange
            var buffer = new byte[Varint.MaxInt64Size + 1];

            // Act
            var written = Varint.Write(buffer, value);
            var read = Varint.TryRead(buffer, out long decoded, out var bytesRead);

            // Assert
            Assert.True(read);
            Assert.Equal(value, decoded);
            Assert.Equal(written, bytesRead);
            Assert.Equal(Varint.SizeOf(value), written);
        }, iter: 10_000);
    }

    [Fact]
    public void Every_value_of_one_or_two_bytes_and_past_them_round_trips_as_int32_and_int64()
    {
        var buffer = new byte[Varint.MaxInt64Size];
        for (var value = -10_000; value <= 10_000; value++)
        {
            var written = Varint.Write(buffer, value);
            Assert.True(Varint.TryRead(buffer.AsSpan(0, written), out int decoded, out var bytesRead), $"{value}");
            Assert.Equal((value, written), (decoded, bytesRead));
            Assert.Equal(value is >= -64 and < 64 ? 1 : value is >= -8192 and < 8192 ? 2 : 3, written);

            Assert.Equal(written, Varint.Write(buffer, (long)value));
            Assert.True(Varint.TryRead(buffer.AsSpan(0, written), out long decodedLong, out bytesRead), $"{value}");
            Assert.Equal((value, written), (decodedLong, bytesRead));
        }
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x80 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x10 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x8F, 0x00 })]
    public void Truncated_overlong_or_overflowing_int32_encodings_are_rejected(byte[] encoding)
    {
        // Act
        var read = Varint.TryRead(encoding, out int value, out var bytesRead);

        // Assert
        Assert.False(read);
        Assert.Equal(0, value);
        Assert.Equal(0, bytesRead);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x80, 0x80 })]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 })]
    public void Truncated_overlong_or_overflowing_int64_encodings_are_rejected(byte[] encoding)
    {
        // Act
        var read = Varint.TryRead(encoding, out long value, out var bytesRead);

        // Assert
        Assert.False(read);
        Assert.Equal(0, value);
        Assert.Equal(0, bytesRead);
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(int.MaxValue, 2)]
    public void Writing_into_a_too_short_span_throws_instead_of_writing_part_of_the_value(int value, int spanBytes)
    {
        // Arrange
        var buffer = new byte[spanBytes];

        // Act
        var thrown = Assert.Throws<ArgumentException>(() => Varint.Write(buffer, value));

        // Assert
        Assert.Contains($"{Varint.SizeOf(value)} bytes", thrown.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[spanBytes], buffer);
    }
}
