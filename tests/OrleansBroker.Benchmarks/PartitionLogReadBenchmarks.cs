using BenchmarkDotNet.Attributes;
using OrleansBroker.Storage;

namespace OrleansBroker.Benchmarks;

/// <summary>
/// The log engine's fetch path: a consumer catching up reads <see cref="FetchesPerInvoke"/> answers of
/// <see cref="BatchesPerFetch"/> batches (about 0.9 MB) one after another, each from the offset the last one ended at,
/// from a log of 64 MiB of the shared batches (1000 records of a 100-byte value) in 16 MiB segments. The File backend
/// reads the page cache. Each answer is one array of the bytes read: nothing is allocated per record. Results are per record.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class PartitionLogReadBenchmarks
{
    private const int BatchesPerFetch = 8;
    private const int RecordsPerFetch = BatchesPerFetch * BenchLogs.RecordsPerBatch;
    private const int FetchesPerInvoke = 16;
    private const long LogBytes = 64L << 20;

    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 16 << 20, FlushOnCommit = false };

    private string? _dataDirectory;
    private IPartitionLog? _log;
    private int _fetchBytes;
    private long _offset;

    [Params("Memory", "File", "FileDirect")]
    public string Backend { get; set; } = "Memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_log, _dataDirectory) = await BenchLogs.OpenAsync(Backend, Config);
        var batch = BenchLogs.CreateBatch();
        _fetchBytes = BatchesPerFetch * batch.Length;
        while (_log.SizeInBytes < LogBytes)
        {
            await _log.AppendAsync(batch.ToArray());
        }
    }

    [Benchmark(OperationsPerInvoke = FetchesPerInvoke * RecordsPerFetch)]
    public async Task<long> ReadAsync()
    {
        var log = _log!;
        long bytes = 0;
        for (var i = 0; i < FetchesPerInvoke; i++)
        {
            var read = await log.ReadAsync(_offset, _fetchBytes);

            // Every answer must be the batches counted, or the per-record figures would be wrong.
            if (read.Batches.Length != _fetchBytes)
            {
                throw new InvalidOperationException($"A fetch at offset {_offset} returned {read.Batches.Length} bytes, not {_fetchBytes}.");
            }

            bytes += read.Batches.Length;
            _offset += RecordsPerFetch;
            if (_offset + RecordsPerFetch > log.HighWatermark)
            {
                _offset = 0;
            }
        }

        return bytes;
    }

    [GlobalCleanup]
    public Task CleanupAsync() => BenchLogs.CloseAsync(_log, _dataDirectory);
}
