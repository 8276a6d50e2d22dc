using OrleansBroker.Storage.Engine;
using OrleansBroker.Storage.Files;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// A crash can leave the last segment cut anywhere, and a disk can flip bytes: after a reopen the log
/// must hold exactly a prefix of what was written (byte for byte), never a torn or corrupt batch, and
/// must take new appends after it.
/// </summary>
public sealed class CrashConsistencyTests : IDisposable
{
    // Small segments so the log has sealed segments before the last one; index entries every ~100 bytes.
    private static readonly LogConfig Writing = LogConfig.Default with { SegmentBytes = 700, IndexIntervalBytes = 100 };

    // Reopened logs never roll, so every check starts from the same set of files.
    private static readonly LogConfig Reopening = Writing with { SegmentBytes = 1 << 20 };

    // partitionLeaderEpoch lies outside the CRC in Kafka's format (the broker rewrites it), so no reader can
    // tell a flipped epoch byte; every other byte of a batch is covered by the CRC, the length or the offset check.
    private const int EpochFieldStart = 12;
    private const int EpochFieldEnd = 16;

    private static readonly LogPartition Partition = new("orders", 0);

    private readonly TestStores _stores = new();
    private int _epoch = 1;

    public void Dispose() => _stores.Dispose();

    public static TheoryData<string> FileBackends => TestStores.FileBackends;

    [Theory]
    [MemberData(nameof(FileBackends))]
    public async Task Truncating_the_last_segment_at_any_byte_leaves_exactly_a_prefix_of_the_batches(string backend)
    {
        var (batches, sealedCount, lastSegment) = await WriteLogAsync(backend);
        var original = await File.ReadAllBytesAsync(lastSegment, Cancellation);

        for (var length = 0; length <= original.Length; length++)
        {
            await File.WriteAllBytesAsync(lastSegment, original[..length], Cancellation);

            var whole = batches.Skip(sealedCount).TakeWhile(EndsWithin(length)).Count();
            await AssertRecoversPrefixAsync(backend, batches, sealedCount + whole, length);
        }
    }

    [Theory]
    [MemberData(nameof(FileBackends))]
    public async Task Corrupting_any_byte_of_the_last_segment_leaves_exactly_the_batches_before_it(string backend)
    {
        var (batches, sealedCount, lastSegment) = await WriteLogAsync(backend);
        var original = await File.ReadAllBytesAsync(lastSegment, Cancellation);
        var checkedPositions = 0;

        for (var position = 0; position < original.Length; position++)
        {
            var intact = batches.Skip(sealedCount).TakeWhile(EndsWithin(position)).ToList();
            var inBatch = position - intact.Sum(batch => batch.Length);
            if (inBatch is >= EpochFieldStart and < EpochFieldEnd)
            {
                continue;
            }

            var corrupt = (byte[])original.Clone();
            corrupt[position] ^= 0xFF;
            await File.WriteAllBytesAsync(lastSegment, corrupt, Cancellation);

            await AssertRecoversPrefixAsync(backend, batches, sealedCount + intact.Count, position);
            checkedPositions++;
        }

        Assert.Equal(original.Length - (EpochFieldEnd - EpochFieldStart) * (batches.Count - sealedCount), checkedPositions);
    }

    [Fact]
    public async Task A_direct_log_that_crashed_with_its_last_block_padded_recovers_exactly_its_batches()
    {
        var batches = Enumerable.Range(0, 5).Select(i => TestBatches.Create(i + 1, timestamp: i, fill: (byte)i)).ToList();
        var crashed = new LogPartition("crashed", 0);
        await using (var log = await OpenAsync(TestStores.FileDirect, Reopening))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }

            // The files as a crash would leave them: the log still open, its last block padded with zeros.
            Directory.CreateDirectory(_stores.LogDirectory(crashed));
            foreach (var file in Directory.GetFiles(_stores.LogDirectory(Partition)))
            {
                File.Copy(file, Path.Combine(_stores.LogDirectory(crashed), Path.GetFileName(file)));
            }
        }

        var segment = Path.Combine(_stores.LogDirectory(crashed), FileLogDirectory.SegmentFileName(0));
        Assert.Equal(DirectSegmentFile.BlockSize, new FileInfo(segment).Length);
        var appended = TestBatches.Create(2, fill: 0xEE);
        await using (var recovered = await _stores.Store(TestStores.FileDirect).OpenAsync(crashed, _epoch++, Reopening, Cancellation))
        {
            LogAssert.SameBatches(batches, await LogAssert.ReadAllAsync(recovered, 0));
            Assert.Equal(batches.Sum(TestBatches.RecordCount), await recovered.AppendAsync(appended, Cancellation));
            LogAssert.SameBatches([.. batches, appended], await LogAssert.ReadAllAsync(recovered, 0));
        }

        Assert.Equal(batches.Sum(batch => batch.Length) + appended.Length, new FileInfo(segment).Length);
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>True for the batches that end at or before <paramref name="length"/> bytes into the segment.</summary>
    private static Func<byte[], bool> EndsWithin(int length)
    {
        var end = 0;
        return batch => (end += batch.Length) <= length;
    }

    /// <summary>Writes 20 batches of 76 to 121 bytes: two sealed segments of 7 batches, the last one holds 6.</summary>
    private async Task<(List<byte[]> Batches, int SealedCount, string LastSegment)> WriteLogAsync(string backend)
    {
        var batches = Enumerable.Range(0, 20).Select(i => TestBatches.Create((i % 4) + 1, timestamp: i, fill: (byte)i)).ToList();
        long lastBase;
        await using (var log = await OpenAsync(backend, Writing))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }

            var segments = ((PartitionLog)log).Segments;
            Assert.Equal(3, segments.Count);
            lastBase = segments[^1].BaseOffset;
        }

        var sealedCount = batches.Count(batch => TestBatches.BaseOffset(batch) < lastBase);
        Assert.Equal(14, sealedCount);
        return (batches, sealedCount, Path.Combine(_stores.LogDirectory(Partition), FileLogDirectory.SegmentFileName(lastBase)));
    }

    private async Task AssertRecoversPrefixAsync(string backend, List<byte[]> batches, int kept, int damagedAt)
    {
        await using var log = await OpenAsync(backend, Reopening);

        var expected = batches.Take(kept).ToList();
        var nextOffset = expected.Sum(TestBatches.RecordCount);
        Assert.True(nextOffset == log.HighWatermark, $"Damage at byte {damagedAt}: high watermark {log.HighWatermark}, expected {nextOffset}.");
        LogAssert.SameBatches(expected, await LogAssert.ReadAllAsync(log, 0));

        var appended = TestBatches.Create(2, fill: 0xEE);
        Assert.Equal(nextOffset, await log.AppendAsync(appended, Cancellation));
        var read = await log.ReadAsync(nextOffset, 1 << 20, Cancellation);
        Assert.Equal(appended, read.Batches.ToArray());
    }

    private async Task<IPartitionLog> OpenAsync(string backend, LogConfig config) =>
        await _stores.Store(backend).OpenAsync(Partition, _epoch++, config, Cancellation);
}
