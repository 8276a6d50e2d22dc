using System.Runtime.InteropServices;
using OrleansBroker.Storage.Files;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// Direct I/O moves whole aligned blocks: the file must still read back exactly the bytes written, at any position and
/// length, across block and buffer boundaries, after a reopen and after its padding is cut off.
/// </summary>
public sealed class DirectSegmentFileTests : IDisposable
{
    private const int Block = DirectSegmentFile.BlockSize;

    private readonly string _directory = Directory.CreateTempSubdirectory("obroker-direct-").FullName;

    private string SegmentPath => Path.Combine(_directory, "segment.log");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Writes_of_any_length_read_back_byte_for_byte_at_any_position()
    {
        var random = new Random(20261129);
        var written = new MemoryStream();
        using var file = Open();

        // Lengths around a block and around both buffer sizes, so writes and reads start and end at every kind of boundary.
        var small = AlignedBuffers.Small.Size;
        var large = AlignedBuffers.Large.Size;
        int[] lengths = [1, 100, Block - 1, Block, Block + 1, small - 3, small + 5, large - 3, large, (2 * large) + 17, 0, 12_345];
        for (var round = 0; round < 16; round++)
        {
            var buffers = Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => RandomBytes(random, lengths[random.Next(lengths.Length)]))
                .ToList();
            file.Write([.. buffers.Select(buffer => new ReadOnlyMemory<byte>(buffer))], written.Length);
            buffers.ForEach(buffer => written.Write(buffer));

            Assert.Equal(written.Length, file.Length);
            Assert.Equal(AlignUp(written.Length), new FileInfo(SegmentPath).Length);
            var expected = written.GetBuffer().AsMemory(0, (int)written.Length);
            for (var i = 0; i < 8; i++)
            {
                var position = random.Next(expected.Length + 1);
                var count = random.Next(Math.Min(expected.Length - position, 3 * large) + 1);
                var range = expected.Slice(position, count);
                Assert.True(range.Span.SequenceEqual(ReadBlocking(file, position, count)), $"Round {round}: {count} bytes at {position} differ (blocking read).");
                var read = await ReadExactlyAsync(file, position, count);
                Assert.True(range.Span.SequenceEqual(read), $"Round {round}: {count} bytes at {position} differ.");
            }
        }
    }

    [Fact]
    public void The_file_is_open_with_O_DIRECT()
    {
        using var file = Open();

        // The kernel's O_DIRECT: 040000 on x64, 0200000 on Arm64.
        var direct = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x10000 : 0x4000;
        var flags = OpenFlags(SegmentPath);
        Assert.True((flags & direct) != 0, $"The segment is open with flags {Convert.ToString(flags, 8)}, without O_DIRECT.");
    }

    [Fact]
    public void A_reopened_file_takes_its_last_partial_block_from_the_disk_before_appending()
    {
        var first = RandomBytes(new Random(1), 5_000);
        var second = RandomBytes(new Random(2), 5_000);
        using (var file = Open())
        {
            file.Write([first], 0);
        }

        using var reopened = Open();

        // As stored, padding included: recovery scans it and cuts the log back to its last whole batch.
        Assert.Equal(2 * Block, reopened.Length);
        reopened.Truncate(first.Length);
        reopened.Write([second], first.Length);

        Assert.Equal([.. first, .. second], ReadBlocking(reopened, 0, 10_000));
        reopened.EndWrites();
        Assert.Equal(10_000, new FileInfo(SegmentPath).Length);
    }

    [Fact]
    public void Trimming_cuts_the_padding_off_durably_and_later_writes_continue_after_the_written_bytes()
    {
        var first = RandomBytes(new Random(3), 5_000);
        var second = RandomBytes(new Random(4), 3_000);
        using var file = Open();
        file.Write([first], 0);

        file.EndWrites();
        Assert.Equal(5_000, new FileInfo(SegmentPath).Length);

        file.Write([second], first.Length);
        Assert.Equal(2 * Block, new FileInfo(SegmentPath).Length);
        Assert.Equal([.. first, .. second], ReadBlocking(file, 0, 8_000));

        file.EndWrites();
        Assert.Equal(8_000, new FileInfo(SegmentPath).Length);
    }

    [Fact]
    public void A_write_anywhere_but_at_the_end_is_refused()
    {
        using var file = Open();
        file.Write([new byte[10]], 0);

        Assert.Throws<InvalidOperationException>(() => file.Write([new byte[10]], 5));
        Assert.Equal(10, file.Length);
    }

    private DirectSegmentFile Open() => DirectSegmentFile.Open(SegmentPath);

    /// <summary>The open flags of this process's descriptor of <paramref name="path"/>, as <c>/proc/self/fdinfo</c> shows them.</summary>
    private static int OpenFlags(string path)
    {
        foreach (var (link, target) in OpenDescriptors.All())
        {
            if (target == path)
            {
                var flags = File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(link)}").Single(line => line.StartsWith("flags:", StringComparison.Ordinal));
                return Convert.ToInt32(flags["flags:".Length..].Trim(), 8);
            }
        }

        throw new InvalidOperationException($"No descriptor of {path} is open.");
    }

    private static long AlignUp(long length) => (length + Block - 1) / Block * Block;

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Reads until <paramref name="count"/> bytes came, as the engine does: one call reads at most a staging buffer.</summary>
    private static byte[] ReadBlocking(DirectSegmentFile file, long position, int count)
    {
        var buffer = new byte[count];
        for (var filled = 0; filled < count;)
        {
            var read = file.Read(buffer.AsSpan(filled), position + filled);
            Assert.True(read > 0, $"The file ended at {position + filled}.");
            filled += read;
        }

        return buffer;
    }

    private static async Task<byte[]> ReadExactlyAsync(DirectSegmentFile file, long position, int count)
    {
        var buffer = new byte[count];
        for (var filled = 0; filled < count;)
        {
            var read = await file.ReadAsync(buffer.AsMemory(filled), position + filled, TestContext.Current.CancellationToken);
            Assert.True(read > 0, $"The file ended at {position + filled}.");
            filled += read;
        }

        return buffer;
    }
}
