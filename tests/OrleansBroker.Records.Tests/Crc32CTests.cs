using System.Text;

namespace OrleansBroker.Records.Tests;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Compute_matches_the_published_check_values(string text, uint expected)
    {
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Compute_over_32_zero_bytes_matches_rfc3720()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    [Fact]
    public void Compute_matches_a_bitwise_crc_for_every_length_up_to_two_long_chunks_and_a_tail_from_every_alignment()
    {
        // Lengths cross each way of taking the input: three-block chunks of 2 KiB and of 128 bytes, 8-byte words, single bytes.
        var data = new byte[(2 * 3 * 2048) + (2 * 3 * 128) + 64 + 8];
        new Random(3720).NextBytes(data);
        for (var length = 0; length <= data.Length - 8; length++)
        {
            var start = length % 8;
            var input = data.AsSpan(start, length);
            Assert.True(Bitwise(input) == Crc32C.Compute(input), $"{length} bytes from {start}");
        }
    }

    [Fact]
    public void Compute_of_a_batch_sized_input_changes_with_any_flipped_bit()
    {
        var data = new byte[111_000];
        new Random(4960).NextBytes(data);
        var crc = Crc32C.Compute(data);
        Assert.Equal(Bitwise(data), crc);
        foreach (var position in new[] { 0, 2047, 2048, 4095, 6143, 6144, 55_555, 110_591, 110_999 })
        {
            data[position] ^= 0x10;
            Assert.NotEqual(crc, Crc32C.Compute(data));
            data[position] ^= 0x10;
        }
    }

    /// <summary>The definition, a bit at a time: reflected polynomial 0x82F63B78, register and result inverted.</summary>
    private static uint Bitwise(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
