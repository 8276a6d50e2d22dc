using System.Buffers.Binary;
using System.Numerics;
using BenchmarkDotNet.Attributes;
using OrleansBroker.Records;
using OrleansBroker.Storage;

namespace OrleansBroker.Benchmarks;

/// <summary>
/// The log engine's append path: validation (length and CRC), offset assignment, the idempotent-producer check
/// and group commit bookkeeping, for batches of 1000 records with a null key and a 100-byte value from one
/// producer, <see cref="InFlight"/> batches awaited together. The Memory backend adds a copy into its arrays, the
/// File backend a write to the page cache (FlushOnCommit=false). <see cref="ValidateThenAppendAsync"/> is the
/// partition grain's path: every record validated, then the batch handed to the log with the header the validator
/// read. Results are per record.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class PartitionLogAppendBenchmarks
{
    private const int RecordsPerBatch = BenchLogs.RecordsPerBatch;
    private const int BatchesPerInvoke = 16;
    private const long ProducerId = 7;

    // Segments roll at 16 MiB and retention keeps about two, so memory and disk stay bounded however long a run is.
    private static readonly LogConfig Config = LogConfig.Default with
    {
        SegmentBytes = 16 << 20,
        RetentionBytes = 32 << 20,
        RetentionTime = null,
        FlushOnCommit = false,
    };

    private readonly byte[][] _batches = new byte[BatchesPerInvoke][];
    private readonly Task<long>[] _appends = new Task<long>[BatchesPerInvoke];
    private readonly uint[] _crcFlips = new uint[32];
    private string? _dataDirectory;
    private IPartitionLog? _log;
    private int _nextSequence;

    [Params("Memory", "File", "FileDirect")]
    public string Backend { get; set; } = "Memory";

    [Params(1, BatchesPerInvoke)]
    public int InFlight { get; set; } = 1;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var batch = BenchLogs.CreateBatch(ProducerId);
        for (var i = 0; i < _batches.Length; i++)
        {
            _batches[i] = batch.ToArray();
        }

        var crc = Crc32C.Compute(batch.AsSpan(RecordBatch.CrcStart));
        for (var bit = 0; bit < _crcFlips.Length; bit++)
        {
            BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatch.BaseSequenceOffset), 1 << bit);
            _crcFlips[bit] = crc ^ Crc32C.Compute(batch.AsSpan(RecordBatch.CrcStart));
        }

        (_log, _dataDirectory) = await BenchLogs.OpenAsync(Backend, Config);
    }

    [Benchmark(OperationsPerInvoke = BatchesPerInvoke * RecordsPerBatch)]
    public Task<long> AppendAsync() => AppendAllAsync(static (log, batch) => log.AppendAsync(batch));

    [Benchmark(OperationsPerInvoke = BatchesPerInvoke * RecordsPerBatch)]
    public Task<long> ValidateThenAppendAsync() => AppendAllAsync(static (log, batch) =>
        RecordBatchValidator.Validate(batch, int.MaxValue, out var validated) == BatchStatus.Valid
            ? log.AppendAsync(validated)
            : throw new InvalidOperationException("The benchmark's batch failed validation."));

    private async Task<long> AppendAllAsync(Func<IPartitionLog, byte[], ValueTask<long>> append)
    {
        var log = _log!;
        var offset = 0L;
        for (var round = 0; round < BatchesPerInvoke; round += InFlight)
        {
            for (var i = 0; i < InFlight; i++)
            {
                var batch = _batches[round + i];
                StampNextSequence(batch);
                _appends[i] = append(log, batch).AsTask();
            }

            for (var i = 0; i < InFlight; i++)
            {
                offset = await _appends[i];
            }
        }

        if (log.SizeInBytes > Config.RetentionBytes)
        {
            await log.EnforceRetentionAsync();
        }

        return offset;
    }

    [GlobalCleanup]
    public Task CleanupAsync() => BenchLogs.CloseAsync(_log, _dataDirectory);

    /// <summary>
    /// Gives the batch the producer's next sequence number, as a producer sending its next batch would.
    /// CRC-32C is affine over GF(2): flipping one bit of a message of fixed length flips the same CRC bits
    /// whatever the other bytes hold. So the new CRC is the old one xor the flips of the changed sequence bits,
    /// measured once in setup, rather than a pass over the whole batch that would double what is measured.
    /// A wrong CRC fails the append, so the benchmark cannot measure a refused batch.
    /// </summary>
    private void StampNextSequence(Span<byte> batch)
    {
        var changed = (uint)(BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.BaseSequenceOffset..]) ^ _nextSequence);
        var crc = BinaryPrimitives.ReadUInt32BigEndian(batch[RecordBatch.CrcOffset..]);
        for (; changed != 0; changed &= changed - 1)
        {
            crc ^= _crcFlips[BitOperations.TrailingZeroCount(changed)];
        }

        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BaseSequenceOffset..], _nextSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatch.CrcOffset..], crc);

        // Sequence numbers wrap from int.MaxValue to 0.
        _nextSequence = (_nextSequence + RecordsPerBatch) & int.MaxValue;
    }
}
