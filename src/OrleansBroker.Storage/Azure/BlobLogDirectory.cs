using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Azure;

/// <summary>
/// A partition log in a blob container: <c>{topic}-{partition}/{baseOffset:D20}.log</c> append blobs,
/// <c>.index</c> block blobs for sealed segments and a <c>leader-epoch</c> blob. One instance serves one
/// open of the log.
/// </summary>
/// <remarks>
/// Ownership across processes: the opener writes its epoch with an ETag condition, then takes the lease on
/// the last segment (breaking the previous writer's) and checks that its epoch is still the stored one,
/// so of two racing openers the higher epoch keeps the log. Every append carries the lease. A roll first
/// records the next segment in the old one's metadata under the lease: an opener that takes the old
/// segment over follows that record, so a stale writer can never start a segment the new one misses.
/// </remarks>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The engine owns and disposes the segment files the directory hands out.")]
internal sealed class BlobLogDirectory : ILogDirectory
{
    private const string SegmentExtension = ".log";
    private const string IndexExtension = ".index";
    private const string EpochBlobName = "leader-epoch";
    private const string NextSegmentKey = "nextsegment";
    private const int OffsetDigits = 20;

    private readonly BlobContainerClient _container;
    private readonly LogPartition _partition;
    private readonly string _prefix;
    private readonly string _leaseId = Guid.NewGuid().ToString();
    private readonly int _maxBlocks;
    private readonly int _reservedBlocks;
    private readonly int _maxBlockBytes;
    private ETag? _epochETag;
    private int _epoch;
    private BlobSegmentFile? _active;

    public BlobLogDirectory(BlobContainerClient container, LogPartition partition, LogConfig config, AzureBlobLogStoreOptions options)
    {
        _container = container;
        _partition = partition;
        _prefix = partition + "/";
        _maxBlocks = options.MaxBlocksPerSegment;
        _maxBlockBytes = options.MaxAppendBlockBytes;

        // One group commit may add this many blocks to a segment: a segment's share of a group is at most its
        // size, and blocks are cut between batches only when the next batch does not fit, so any two
        // consecutive blocks hold more than one block's bytes.
        var share = Math.Max(config.SegmentBytes, config.MaxBatchBytes);
        _reservedBlocks = (int)Math.Min(int.MaxValue, (2 * ((share + options.MaxAppendBlockBytes - 1) / options.MaxAppendBlockBytes)) + 1);
    }

    public void EnsureCreated()
    {
    }

    public int ReadEpoch()
    {
        try
        {
            var content = _container.GetBlobClient(_prefix + EpochBlobName).DownloadContent().Value;
            _epochETag = content.Details.ETag;
            return int.TryParse(content.Content.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                ? epoch
                : throw new InvalidDataException($"The epoch blob of {_partition} is corrupt.");
        }
        catch (RequestFailedException missing) when (missing.Status == 404)
        {
            _epochETag = null;
            return 0;
        }
    }

    public void WriteEpoch(int epoch)
    {
        // Only over the version this opener read: an opener that wrote in between wins, this one is stale.
        var conditions = _epochETag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            _container.GetBlobClient(_prefix + EpochBlobName).Upload(
                BinaryData.FromString(epoch.ToString(CultureInfo.InvariantCulture)),
                new BlobUploadOptions { Conditions = conditions });
        }
        catch (RequestFailedException conflict) when (conflict.Status is 409 or 412)
        {
            throw new StaleEpochException(_partition, epoch, ReadEpoch());
        }

        _epoch = epoch;
    }

    public IReadOnlyList<long> ListSegments()
    {
        var offsets = new List<long>();
        foreach (var item in _container.GetBlobs(BlobTraits.None, BlobStates.None, _prefix, CancellationToken.None))
        {
            var name = item.Name.AsSpan(_prefix.Length);
            if (name.Length == OffsetDigits + SegmentExtension.Length && name.EndsWith(SegmentExtension, StringComparison.Ordinal) &&
                long.TryParse(name[..OffsetDigits], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        if (offsets.Count > 0)
        {
            TakeOver(offsets);
        }

        return offsets;
    }

    public ISegmentFile OpenSegment(long baseOffset)
    {
        if (_active is null)
        {
            // A new log: the first segment is created by whichever opener gets there, and owned by the one that takes it over.
            Segment(baseOffset).CreateIfNotExists();
            List<long> offsets = [baseOffset];
            TakeOver(offsets);
            return offsets.Count == 1 ? _active! : throw Stale(null);
        }

        var activeBase = BaseOffsetOf(_active);
        if (baseOffset == activeBase)
        {
            return _active;
        }

        return baseOffset > activeBase ? Roll(baseOffset) : OpenSealed(baseOffset);
    }

    public byte[]? ReadIndex(long baseOffset)
    {
        try
        {
            return _container.GetBlobClient(BlobName(baseOffset, IndexExtension)).DownloadContent().Value.Content.ToArray();
        }
        catch (RequestFailedException missing) when (missing.Status == 404)
        {
            return null;
        }
    }

    public void WriteIndex(long baseOffset, ReadOnlySpan<byte> index) =>
        _container.GetBlobClient(BlobName(baseOffset, IndexExtension)).Upload(BinaryData.FromBytes(index.ToArray()), overwrite: true);

    public void DeleteSegment(long baseOffset)
    {
        EnsureOwner();
        DeleteReleased(Segment(baseOffset));
        _container.GetBlobClient(BlobName(baseOffset, IndexExtension)).DeleteIfExists();
    }

    public void Delete()
    {
        EnsureOwner();
        foreach (var item in _container.GetBlobs(BlobTraits.None, BlobStates.None, _prefix, CancellationToken.None))
        {
            var blob = _container.GetBlobClient(item.Name);
            if (_active is not null && item.Name == _active.Blob.Name)
            {
                blob.DeleteIfExists(conditions: new BlobRequestConditions { LeaseId = _leaseId });
            }
            else
            {
                DeleteReleased(blob);
            }
        }

        _active = null;
    }

    /// <summary>Runs a call that carries this writer's lease or conditions; a refusal means a newer writer owns the log.</summary>
    public void Fenced(Action call)
    {
        try
        {
            call();
        }
        catch (RequestFailedException refused) when (refused.Status is 409 or 412)
        {
            throw Stale(refused);
        }
    }

    public StaleEpochException Stale(RequestFailedException? refusal) =>
        refusal is null
            ? new StaleEpochException($"A newer writer took over the log of {_partition}; epoch {_epoch} is stale.")
            : new StaleEpochException($"A newer writer took over the log of {_partition}; epoch {_epoch} is stale ({refusal.ErrorCode}).", refusal);

    private static long BaseOffsetOf(BlobSegmentFile file)
    {
        var name = file.Blob.Name;
        return long.Parse(name.AsSpan(name.Length - SegmentExtension.Length - OffsetDigits, OffsetDigits), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Takes the last segment over: breaks the previous writer's lease, takes a new one, checks that no higher
    /// epoch was written meanwhile, and follows the segments a writer rolled to (adding them to <paramref name="offsets"/>).
    /// </summary>
    private void TakeOver(List<long> offsets)
    {
        while (true)
        {
            var blob = Segment(offsets[^1]);
            var lease = blob.GetBlobLeaseClient(_leaseId);
            try
            {
                blob.GetBlobLeaseClient().Break(TimeSpan.Zero);
            }
            catch (RequestFailedException unleased) when (unleased.ErrorCode == BlobErrorCode.LeaseNotPresentWithLeaseOperation)
            {
                // Nobody held it: a writer that rolled away from it, or none yet.
            }

            Fenced(() => lease.Acquire(BlobLeaseClient.InfiniteLeaseDuration));
            var current = ReadEpoch();
            if (current != _epoch)
            {
                throw new StaleEpochException(_partition, _epoch, current);
            }

            var properties = blob.GetProperties(new BlobRequestConditions { LeaseId = _leaseId }).Value;
            if (!properties.Metadata.TryGetValue(NextSegmentKey, out var next))
            {
                _active = new BlobSegmentFile(blob, this, _leaseId, properties, _maxBlocks, _reservedBlocks, _maxBlockBytes);
                return;
            }

            // The previous writer was rolling to the next segment: it may have written there already.
            var nextOffset = long.Parse(next, NumberStyles.None, CultureInfo.InvariantCulture);
            Segment(nextOffset).CreateIfNotExists();
            lease.Release();
            offsets.Add(nextOffset);
        }
    }

    private BlobSegmentFile Roll(long baseOffset)
    {
        var sealing = _active!;
        var metadata = sealing.Metadata();
        metadata[NextSegmentKey] = baseOffset.ToString(CultureInfo.InvariantCulture);
        var blob = Segment(baseOffset);
        Fenced(() =>
        {
            sealing.Blob.SetMetadata(metadata, new BlobRequestConditions { LeaseId = _leaseId });
            blob.Create(new AppendBlobCreateOptions { Conditions = new AppendBlobRequestConditions { IfNoneMatch = ETag.All } });
            blob.GetBlobLeaseClient(_leaseId).Acquire(BlobLeaseClient.InfiniteLeaseDuration);
        });
        sealing.ReleaseLease();
        _active = new BlobSegmentFile(blob, this, _leaseId, BlobsModelFactory.BlobProperties(), _maxBlocks, _reservedBlocks, _maxBlockBytes);
        return _active;
    }

    private BlobSegmentFile OpenSealed(long baseOffset)
    {
        var blob = Segment(baseOffset);
        return new BlobSegmentFile(blob, this, leaseId: null, blob.GetProperties().Value, _maxBlocks, _reservedBlocks, _maxBlockBytes);
    }

    /// <summary>Throws when another writer broke this one's lease on the active segment.</summary>
    private void EnsureOwner()
    {
        if (_active is not null)
        {
            Fenced(() => _active.Blob.GetBlobLeaseClient(_leaseId).Renew());
        }
    }

    /// <summary>Deletes a blob no live writer appends to; a lease left by a writer that died mid-roll is broken first.</summary>
    private static void DeleteReleased(BlobBaseClient blob)
    {
        try
        {
            blob.DeleteIfExists();
        }
        catch (RequestFailedException leased) when (leased.ErrorCode == BlobErrorCode.LeaseIdMissing)
        {
            blob.GetBlobLeaseClient().Break(TimeSpan.Zero);
            blob.DeleteIfExists();
        }
    }

    private AppendBlobClient Segment(long baseOffset) => _container.GetAppendBlobClient(BlobName(baseOffset, SegmentExtension));

    private string BlobName(long baseOffset, string extension) =>
        _prefix + baseOffset.ToString("D20", CultureInfo.InvariantCulture) + extension;
}
