using OrleansBroker.Records;
using OrleansBroker.Storage;

namespace OrleansBroker.Benchmarks;

/// <summary>The benchmarks' shared workload: batches of 1000 records with a null key and a 100-byte value, and logs on either backend.</summary>
internal static class BenchLogs
{
    public const int RecordsPerBatch = 1000;
    public const int ValueSize = 100;

    /// <summary>
    /// One encoded batch of <see cref="RecordsPerBatch"/> records with random values: from an idempotent producer (epoch 0,
    /// first sequence 0) when <paramref name="producerId"/> is given, else from none, so appending it again writes it again.
    /// </summary>
    public static byte[] CreateBatch(long? producerId = null)
    {
        var value = new byte[ValueSize];
        Random.Shared.NextBytes(value);
        using var builder = new RecordBatchBuilder();
        AppendRecords(builder, value);
        return (producerId is { } id ? builder.Build(id, 0, 0) : builder.Build()).ToArray();
    }

    /// <summary>Appends <see cref="RecordsPerBatch"/> records with a null key and <paramref name="value"/>, one millisecond apart.</summary>
    public static void AppendRecords(RecordBatchBuilder builder, ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < RecordsPerBatch; i++)
        {
            builder.Append(1_700_000_000_000 + i, default, true, value, false, []);
        }
    }

    /// <summary>
    /// Opens a new log on <paramref name="backend"/>: "Memory", or "File" (through the page cache) or "FileDirect" (direct I/O)
    /// in a new temporary directory, returned for cleanup.
    /// </summary>
    public static async Task<(IPartitionLog Log, string? DataDirectory)> OpenAsync(string backend, LogConfig config)
    {
        string? dataDirectory = null;
        ILogStore store = backend switch
        {
            "File" or "FileDirect" => new FileLogStore(
                new FileLogStoreOptions
                {
                    DataDirectory = dataDirectory = Directory.CreateTempSubdirectory("obroker-bench-").FullName,
                    DirectIO = backend == "FileDirect",
                },
                TimeProvider.System),
            "Memory" => new MemoryLogStore(TimeProvider.System),
            _ => throw new ArgumentException($"Unknown backend '{backend}': File, FileDirect or Memory.", nameof(backend)),
        };

        return (await store.OpenAsync(new LogPartition("bench", 0), 1, config), dataDirectory);
    }

    /// <summary>Closes the log and deletes its temporary directory, if it has one.</summary>
    public static async Task CloseAsync(IPartitionLog? log, string? dataDirectory)
    {
        if (log is not null)
        {
            await log.DisposeAsync();
        }

        if (dataDirectory is not null)
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
