namespace OrleansBroker.Storage.Engine;

/// <summary>
/// The partition log engine shared by every backend: offsets, group commit, the sparse index, recovery,
/// reads and retention. A backend only supplies an <see cref="ILogDirectory"/> (where the bytes live).
/// Split by concern: appends and the writer loop, reads, recovery.
/// </summary>
internal sealed partial class PartitionLog : IPartitionLog
{
    private readonly LogPartition _partition;
    private readonly int _epoch;
    private readonly LogConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogDirectory _directory;
    private readonly EpochFenceRegistry _fences;
    private readonly string _fenceKey;
    private readonly EpochFence _fence;
    private readonly ProducerStateTable _producers;

    // Base offsets of segments retention took out of the log but storage has not deleted yet, oldest first (under the fence lock).
    private readonly Queue<long> _retired = new();

    // Copy-on-write: replaced (never changed in place) under the fence lock, so readers use a snapshot.
    private Segment[] _segments = [];
    private long _logStartOffset;
    private long _highWatermark;
    private long _size;
    private long _flushCount;
    private bool _closed;

    private PartitionLog(LogPartition partition, int epoch, LogConfig config, TimeProvider time, ILogDirectory directory, EpochFenceRegistry fences, string fenceKey, EpochFence fence)
    {
        _partition = partition;
        _epoch = epoch;
        _config = config;
        _time = time;
        _directory = directory;
        _fences = fences;
        _fenceKey = fenceKey;
        _fence = fence;
        _producers = new ProducerStateTable(time);
    }

    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    public long HighWatermark => Volatile.Read(ref _highWatermark);

    // Read without the fence lock: a stale answer only delays noticing by one call, as the next read sees the new epoch.
    public bool IsFenced => !_fence.IsOwnedBy(_epoch);

    public long NextOffset => Interlocked.Read(ref _nextOffset);

    public long SizeInBytes => Interlocked.Read(ref _size);

    /// <summary>How many times the log fsynced its segments (group commits and rolls): tests check that commits group.</summary>
    internal long FlushCount => Interlocked.Read(ref _flushCount);

    /// <summary>How many producers the idempotent-producer state holds: tests check that silent ones expire.</summary>
    internal int ProducerCount
    {
        get
        {
            lock (_appendLock)
            {
                return _producers.Count;
            }
        }
    }

    /// <summary>The segments as readers see them now.</summary>
    internal IReadOnlyList<Segment> Segments => Volatile.Read(ref _segments);

    /// <summary>
    /// Opens (creating or recovering) a log, fencing off every earlier epoch. Runs blocking I/O: call it
    /// on the thread pool. The fence lock is held throughout, so no other writer of the same directory
    /// in this process writes while the log is being recovered.
    /// </summary>
    public static PartitionLog Open(LogPartition partition, int epoch, LogConfig config, TimeProvider time, ILogDirectory directory, EpochFenceRegistry fences, string fenceKey)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxBatchBytes, Records.RecordBatch.HeaderSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(config.SegmentBytes);

        // Index entries hold 32-bit positions, as Kafka's do.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(config.SegmentBytes, int.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(config.IndexIntervalBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(config.SegmentAge, TimeSpan.Zero);
        while (true)
        {
            var fence = fences.Get(fenceKey);
            lock (fence.Sync)
            {
                if (fence.Deleted)
                {
                    // The log was deleted while this open waited for the lock: take the new fence.
                    continue;
                }

                directory.EnsureCreated();
                var current = Math.Max(fence.Epoch, directory.ReadEpoch());
                if (epoch <= current)
                {
                    throw new StaleEpochException(partition, epoch, current);
                }

                directory.WriteEpoch(epoch);
                fence.Epoch = epoch;
                var log = new PartitionLog(partition, epoch, config, time, directory, fences, fenceKey, fence);
                log.Recover();
                return log;
            }
        }
    }

    public ValueTask<long> EnforceRetentionAsync(CancellationToken cancellationToken = default) =>
        new(WriterThreads.Shared.Factory.StartNew(EnforceRetention, cancellationToken));

    public async ValueTask DeleteAsync(CancellationToken cancellationToken = default)
    {
        await DisposeAsync();
        await WriterThreads.Shared.Factory.StartNew(
            () =>
            {
                lock (_fence.Sync)
                {
                    ThrowIfStale();
                    _fences.Retire(_fenceKey, _fence);
                    try
                    {
                        _directory.Delete();
                    }
                    catch (Exception failure) when (failure is not StaleEpochException)
                    {
                        throw new LogStorageException($"Deleting the log of {_partition} failed part-way; open it again to delete the rest. {failure.Message}", failure);
                    }
                }
            },
            cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!BeginDispose(out var writer))
        {
            return;
        }

        // Everything queued before the dispose is still written and acknowledged.
        await writer;
        try
        {
            await WriterThreads.Shared.Factory.StartNew(Close);
        }
        finally
        {
            FailWaiters(new ObjectDisposedException(_partition.ToString()));
        }
    }

    /// <summary>Makes the last writes durable and tidy where needed, then lets go of the files even when that fails.</summary>
    private void Close()
    {
        bool failed;
        lock (_appendLock)
        {
            failed = _fault is not null;
        }

        lock (_fence.Sync)
        {
            try
            {
                if (!_config.FlushOnCommit && _segments.Length > 0)
                {
                    // Acknowledged writes sat in the page cache: make them durable before letting go.
                    _segments[^1].File.Flush();
                    Interlocked.Increment(ref _flushCount);
                }

                // A stale writer leaves the files to the epoch that owns them now, a failed one to the next open's recovery.
                if (_segments.Length > 0 && _fence.IsOwnedBy(_epoch) && !failed)
                {
                    _segments[^1].File.EndWrites();
                }
            }
            finally
            {
                foreach (var segment in _segments)
                {
                    segment.File.Dispose();
                }

                _closed = true;
            }
        }
    }

    private long EnforceRetention()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_fence.Sync)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfStale();
            var segments = _segments;
            var remaining = SizeInBytes;
            var expired = 0;

            // Only a prefix of sealed segments can go, so the log stays contiguous; the active one always stays.
            while (expired < segments.Length - 1)
            {
                var segment = segments[expired];
                var tooOld = _config.RetentionTime is { } time && segment.MaxTimestamp < now - (long)time.TotalMilliseconds;
                var tooBig = _config.RetentionBytes is { } bytes && remaining > bytes;
                if (!tooOld && !tooBig)
                {
                    break;
                }

                remaining -= segment.Length;
                expired++;
            }

            if (expired > 0)
            {
                Volatile.Write(ref _segments, segments[expired..]);
                Volatile.Write(ref _logStartOffset, segments[expired].BaseOffset);
                Interlocked.Exchange(ref _size, remaining);
                foreach (var segment in segments.AsSpan(0, expired))
                {
                    segment.File.Dispose();
                    _retired.Enqueue(segment.BaseOffset);
                }
            }

            DeleteRetired();
            return LogStartOffset;
        }
    }

    /// <summary>
    /// Deletes the segments retention took out of the log, oldest first. One that storage fails to delete stays queued, with
    /// those after it, for the next run: storage then still holds a contiguous log that merely starts earlier, which an
    /// open recovers as it is and the next retention run trims again. The caller holds the fence lock.
    /// </summary>
    private void DeleteRetired()
    {
        while (_retired.TryPeek(out var baseOffset))
        {
            try
            {
                _directory.DeleteSegment(baseOffset);
            }
            catch (Exception failure) when (failure is not StaleEpochException)
            {
                throw new LogStorageException(
                    $"Retention could not delete segment {baseOffset} of {_partition} ({_retired.Count} waiting); the next run tries again. {failure.Message}",
                    failure);
            }

            _retired.Dequeue();
        }
    }

    /// <summary>Throws when a newer epoch owns the log. The caller holds the fence lock.</summary>
    private void ThrowIfStale()
    {
        if (!_fence.IsOwnedBy(_epoch))
        {
            throw new StaleEpochException(_partition, _epoch, _fence.Epoch);
        }
    }
}
