using BenchmarkDotNet.Attributes;
using OrleansBroker.Records;

namespace OrleansBroker.Benchmarks;

/// <summary>
/// The codec's hot paths on the producer (build), broker (validate, checksum) and consumer (read) sides, for a batch
/// of 1000 records with a null key and a 100-byte value. Results are per record.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class RecordBatchBenchmarks : IDisposable
{
    private const int RecordsPerBatch = BenchLogs.RecordsPerBatch;

    private readonly byte[] _value = new byte[BenchLogs.ValueSize];
    private readonly RecordBatchBuilder _builder = new();
    private byte[] _batch = [];

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_value);
        BuildBatch();
        _batch = _builder.Build().ToArray();
    }

    [Benchmark(OperationsPerInvoke = RecordsPerBatch)]
    public int BuildBatch()
    {
        _builder.Reset();
        BenchLogs.AppendRecords(_builder, _value);
        return _builder.Build().Length;
    }

    /// <summary>The CRC-32C over the batch that building stamps and validating checks, part of both.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerBatch)]
    public uint ChecksumBatch() => Crc32C.Compute(_batch.AsSpan(RecordBatch.CrcStart));

    [Benchmark(OperationsPerInvoke = RecordsPerBatch)]
    public BatchStatus ValidateBatch() => RecordBatchValidator.Validate(_batch, int.MaxValue);

    [Benchmark(OperationsPerInvoke = RecordsPerBatch)]
    public long ReadBatch()
    {
        var reader = new RecordBatchReader(_batch);
        long bytes = 0;
        while (reader.TryReadNext(out var record))
        {
            bytes += record.Value.Length;
        }

        return bytes;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _builder.Dispose();
        GC.SuppressFinalize(this);
    }
}
