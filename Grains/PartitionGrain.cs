using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansBroker.Grains.Diagnostics;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.State;
using OrleansBroker.Records;
using OrleansBroker.Storage;
using StorageOutOfOrderSequenceException = OrleansBroker.Storage.OutOfOrderSequenceException;
using StorageStaleEpochException = OrleansBroker.Storage.StaleEpochException;

namespace OrleansBroker.Grains;

/// <summary>
/// Owns one partition's log. Reentrant on purpose: appends interleave so that the log's writer can
/// group them into one write and one fsync, and long-poll fetches wait without blocking appends.
/// Order stays explicit: the log assigns offsets in the synchronous part of <see cref="AppendAsync"/>.
/// </summary>
[Reentrant]
public sealed partial class PartitionGrain(
    [PersistentState("partition", BrokerStorage.MetadataStorageName)] IPersistentState<PartitionState> state,
    ILogStore logStore,
    IOptions<BrokerOptions> options,
    TimeProvider timeProvider,
    BrokerInstruments instruments,
    ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    private readonly BrokerOptions _options = options.Value;
    private TopicPartition _id;
    private IPartitionLog? _log;
    private IGrainTimer? _retentionTimer;
    private bool _fenced;
    private bool _storageFailed;
    private int _retentionFailures;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = TopicPartition.Parse(this.GetPrimaryKeyString());
        if (state.State is { Config: { } config, Deleting: false })
        {
            await OpenLogAsync(config, cancellationToken);
            StartRetention();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_log is { } log)
        {
            _log = null;
            await log.DisposeAsync();
        }
    }

    public async Task InitializeAsync(TopicConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (_log is not null)
        {
            return;
        }

        state.State.Config = config;
        await OpenLogAsync(config, CancellationToken.None);
        StartRetention();
    }

    public async ValueTask<long> AppendAsync(BatchBytes batch)
    {
        try
        {
            var log = RequireLog();
            var maxMessageBytes = state.State.Config!.MaxMessageBytes;

            // The caller leaves the batch to the call (see IPartitionGrain.AppendAsync), so the log may write the base offset into it.
            var status = RecordBatchValidator.Validate(MemoryMarshal.AsMemory(batch.Bytes), maxMessageBytes, out var validated);
            if (status != BatchStatus.Valid)
            {
                throw status == BatchStatus.TooLarge
                    ? new RecordTooLargeException($"The batch of {batch.Bytes.Length} bytes exceeds max.message.bytes {maxMessageBytes} of {_id.Topic}.")
                    : new CorruptRecordException($"The batch for {_id} is corrupt: {status}. Nothing was written.");
            }

            // The log takes the batch (and its offsets) before this method first waits, so appends keep their call order.
            return await AppendValidatedAsync(log, validated);
        }
        finally
        {
            // The log keeps no reference to a batch once its append is answered.
            batch.Release();
        }
    }

    public ValueTask<long?> ListOffsetsAsync(OffsetSpec spec)
    {
        var log = RequireLog();
        return spec.Kind switch
        {
            OffsetSpecKind.Earliest => ValueTask.FromResult<long?>(log.LogStartOffset),
            OffsetSpecKind.Latest => ValueTask.FromResult<long?>(log.HighWatermark),
            OffsetSpecKind.Timestamp => ReadingAsync(log.FindOffsetByTimestampAsync(spec.Timestamp)),
            _ => throw new InvalidRequestException($"Unknown offset spec {spec.Kind}."),
        };
    }

    public ValueTask<PartitionInfo> GetInfoAsync()
    {
        var log = RequireLog();
        return ValueTask.FromResult(new PartitionInfo(_id.Partition, log.LogStartOffset, log.HighWatermark, log.SizeInBytes, state.State.Epoch));
    }

    public async Task DeleteAsync()
    {
        if (state.State.Config is { } config)
        {
            // Recorded before storage is touched: should the delete fail part-way, no activation serves what is left of the
            // log (it could start at any offset), and a retried delete opens it only to finish the job.
            if (!state.State.Deleting)
            {
                state.State.Deleting = true;
                await state.WriteStateAsync();
            }

            _retentionTimer?.Dispose();
            _retentionTimer = null;
            if (_log is null)
            {
                await OpenLogAsync(config, CancellationToken.None);
            }

            var log = _log!;
            _log = null;
            try
            {
                await log.DeleteAsync();
            }
            catch (LogStorageException exception)
            {
                LogDeleteFailed(logger, exception, _id, state.State.Epoch);
                throw new StorageErrorException($"Deleting partition {_id} failed part-way: {exception.Message} It serves nothing until a retried delete finishes; retry.");
            }
        }

        // The epoch stays: a partition created again under the same name must still fence writers of the old one.
        state.State.Config = null;
        state.State.Deleting = false;
        await state.WriteStateAsync();
        DeactivateOnIdle();
    }

    private async ValueTask<long> AppendValidatedAsync(IPartitionLog log, ValidatedBatch batch)
    {
        var started = timeProvider.GetTimestamp();
        try
        {
            var baseOffset = await log.AppendAsync(batch);
            var topic = new KeyValuePair<string, object?>(BrokerInstruments.TopicTag, _id.Topic);
            instruments.RecordsIn.Add(batch.Header.RecordCount, topic);
            instruments.BytesIn.Add(batch.Bytes.Length, topic);
            instruments.AppendDuration.Record(timeProvider.GetElapsedTime(started).TotalMilliseconds, topic);
            return baseOffset;
        }
        catch (StorageStaleEpochException exception)
        {
            LogFenced(logger, exception, _id, state.State.Epoch);
            _fenced = true;
            DeactivateOnIdle();
            throw Fenced();
        }
        catch (StorageOutOfOrderSequenceException exception)
        {
            throw new OutOfOrderSequenceException(exception.Message);
        }
        catch (LogStorageException exception)
        {
            // The log takes no more appends: the next activation opens it again, finding its end in storage.
            LogStorageFailed(logger, exception, _id, state.State.Epoch);
            _storageFailed = true;
            DeactivateOnIdle();
            throw StorageFailed(exception);
        }
    }

    private async Task OpenLogAsync(TopicConfig config, CancellationToken cancellationToken)
    {
        var partition = new LogPartition(_id.Topic, _id.Partition);
        while (_log is null)
        {
            // A new epoch through an ETag-checked write: if another activation raced us, this write fails and so does the activation.
            state.State.Epoch++;
            await state.WriteStateAsync(cancellationToken);
            try
            {
                _log = await logStore.OpenAsync(partition, state.State.Epoch, ToLogConfig(config), cancellationToken);
            }
            catch (StorageStaleEpochException exception)
            {
                // The log has seen a newer epoch than the metadata (restored from an older copy, say): take the one after it.
                LogEpochBehind(logger, exception, _id, state.State.Epoch, exception.CurrentEpoch);
                state.State.Epoch = exception.CurrentEpoch;
            }
            catch (LogStorageException exception)
            {
                throw StorageFailed(exception);
            }
        }

        LogOpened(logger, _id, state.State.Epoch, _log.LogStartOffset, _log.HighWatermark);
    }

    private void StartRetention() =>
        _retentionTimer ??= this.RegisterGrainTimer(
            EnforceRetentionAsync,
            new GrainTimerCreationOptions(_options.RetentionCheckInterval, _options.RetentionCheckInterval) { Interleave = true });

    private async Task EnforceRetentionAsync(CancellationToken cancellationToken)
    {
        if (_log is not { } log)
        {
            return;
        }

        try
        {
            await log.EnforceRetentionAsync(cancellationToken);
            if (_retentionFailures > 0)
            {
                LogRetentionResumed(logger, _id, _retentionFailures);
                _retentionFailures = 0;
            }
        }
        catch (LogStorageException exception)
        {
            // Appends and reads go on; the segments storage failed to delete are deleted at the next check.
            _retentionFailures++;
            LogRetentionFailed(logger, exception, _id, log.LogStartOffset, _options.RetentionCheckInterval);
        }
    }

    private LogConfig ToLogConfig(TopicConfig config) => new()
    {
        SegmentBytes = config.SegmentBytes,
        SegmentAge = _options.SegmentAge,
        RetentionTime = config.RetentionMs < 0 ? null : TimeSpan.FromMilliseconds(config.RetentionMs),
        RetentionBytes = config.RetentionBytes < 0 ? null : config.RetentionBytes,
        MaxBatchBytes = config.MaxMessageBytes,
        FlushOnCommit = _options.FlushOnCommit,
    };

    private IPartitionLog RequireLog()
    {
        if (_log is { IsFenced: true } && !_fenced)
        {
            // Another activation of this partition took the log (a duplicate after a membership change, say). This one
            // would serve a frozen high watermark to readers forever: step down, so callers retry and find the new one.
            LogSuperseded(logger, _id, state.State.Epoch);
            _fenced = true;
            DeactivateOnIdle();
        }

        return _fenced ? throw Fenced()
            : state.State.Deleting ? throw new StorageErrorException($"Partition {_id} is being deleted: a delete failed part-way, and the partition serves nothing until a retried delete finishes.")
            : _storageFailed ? throw new StorageErrorException($"The log of partition {_id} failed a write and is being opened again; retry.")
            : _log ?? throw new UnknownTopicOrPartitionException($"Partition {this.GetPrimaryKeyString()} does not exist.");
    }

    private StaleEpochException Fenced() => new($"Partition {_id} moved to a newer activation; retry.");

    private StorageErrorException StorageFailed(LogStorageException exception) => new($"Partition {_id}: {exception.Message} Retry.");
}
