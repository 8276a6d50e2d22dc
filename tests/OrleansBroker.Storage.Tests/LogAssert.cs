using OrleansBroker.Records;

namespace OrleansBroker.Storage.Tests;

/// <summary>Reads and checks whole logs.</summary>
internal static class LogAssert
{
    /// <summary>Every batch from <paramref name="offset"/> to the high watermark, read in chunks of <paramref name="maxBytes"/>.</summary>
    public static async Task<List<byte[]>> ReadAllAsync(IPartitionLog log, long offset, int maxBytes = 1 << 20)
    {
        var batches = new List<byte[]>();
        while (offset < log.HighWatermark)
        {
            var result = await log.ReadAsync(offset, maxBytes, TestContext.Current.CancellationToken);
            Assert.Equal(LogReadStatus.Ok, result.Status);
            var read = TestBatches.Split(result.Batches);
            Assert.NotEmpty(read);
            batches.AddRange(read);
            offset = TestBatches.BaseOffset(read[^1]) + TestBatches.RecordCount(read[^1]);
        }

        return batches;
    }

    public static void SameBatches(IReadOnlyList<byte[]> expected, IReadOnlyList<byte[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    /// <summary>Every batch passes its checksum and record checks, and each starts at the offset after the one before, from <paramref name="offset"/>.</summary>
    public static void Contiguous(IReadOnlyList<byte[]> batches, long offset)
    {
        foreach (var batch in batches)
        {
            Assert.Equal(BatchStatus.Valid, RecordBatchValidator.Validate(batch, int.MaxValue));
            Assert.Equal(offset, TestBatches.BaseOffset(batch));
            offset += TestBatches.RecordCount(batch);
        }
    }
}
