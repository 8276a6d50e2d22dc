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
/// Ownership across processes: the opener writes its epoch, tagged with its lease id, with an ETag condition,
/// then takes the lease on the last segment (breaking the previous writer's) and checks that the epoch blob
/// is still its own, so of two racing openers the one that wrote the epoch blob last keeps the log. Every
/// append carries the lease. A roll first records the next segment in the old one's metadata under the
/// lease: an opener that takes the old segment over follows that record, so a stale writer can never start
/// a segment the new one misses.
/// <para>
/// The SDK retries requests that failed or timed out, including ones that reached the service and whose answer
/// was lost: a conditional write then fails on its retry although it landed. Every conditional write here
/// tells that case from a real conflict (the epoch blob and new segments carry the writer's lease id; an
/// append compares the stored bytes), and a writer whose lease a losing opener broke takes it back while the
/// epoch blob is still its own.
/// </para>
/// </remarks>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The engine owns and disposes the segment files the directory hands out.")]
internal sealed class BlobLogDirectory : ILogDirectory
{
    private const string SegmentExtension = ".log";
    private const string IndexExtension = ".index";
    private const string EpochBlobName = "leader-epoch";
    private const string NextSegmentKey = "nextsegment";
    private const string WriterKey = "writer";
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

    public int ReadEpoch() => ReadEpochBlob().Epoch;

    public void WriteEpoch(int epoch)
    {
        _epoch = epoch;

        // Only over the version this opener read: an opener that wrote in between wins, this one is stale.
        var conditions = _epochETag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            _container.GetBlobClient(_prefix + EpochBlobName).Upload(
                BinaryData.FromString(epoch.ToString(CultureInfo.InvariantCulture)),
                new BlobUploadOptions { Conditions = conditions, Metadata = WrittenByThis() });
        }
        catch (RequestFailedException conflict) when (conflict.Status is 409 or 412)
        {
            // Refused for a racing opener's write, or for this opener's own, landed on an attempt whose answer was lost.
            EnsureEpochOwner();
        }
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
        _container.GetBlobClient(BlobName(baseOffset, IndexExtension)).DeleteIfExists();
        DeleteReleased(Segment(baseOffset));
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

    /// <summary>
    /// Runs a call on the active segment that carries this writer's lease. A lease refusal while the epoch blob is still
    /// this writer's means that an opener which lost to this writer broke the lease: it is taken back and the call made
    /// once more. Any other refusal means a newer writer owns the log.
    /// </summary>
    public void FencedOnActive(Action call)
    {
        RequestFailedException refusal;
        try
        {
            call();
            return;
        }
        catch (RequestFailedException refused) when (refused.Status is 409 or 412)
        {
            refusal = refused;
        }

        if (!IsLeaseRefusal(refusal) || !TryReclaim(_active!.Blob))
        {
            throw Stale(refusal);
        }

        Fenced(call);
    }

    public StaleEpochException Stale(RequestFailedException? refusal) =>
        refusal is null
            ? new StaleEpochException($"A newer writer took over the log of {_partition}; epoch {_epoch} is stale.")
            : new StaleEpochException($"A newer writer took over the log of {_partition}; epoch {_epoch} is stale ({refusal.ErrorCode}).", refusal);

    /// <summary>
    /// A failure of the storage service or of the way to it, past the SDK's retries: an error answer, or the exceptions of
    /// every attempt that got none (unreachable, reset, timed out).
    /// </summary>
    public static bool IsStorageFailure(Exception failure) => failure is RequestFailedException or AggregateException;

    private static bool IsLeaseRefusal(RequestFailedException refusal) =>
        refusal.ErrorCode?.StartsWith("Lease", StringComparison.Ordinal) == true;

    /// <summary>
    /// Takes the active segment's lease back after another writer broke it, when the epoch blob shows that no newer
    /// writer opened the log since: the breaker was an opener that lost to this writer (it broke the lease before
    /// finding the epoch blob not its own). Returns false when a newer writer owns the log.
    /// </summary>
    private bool TryReclaim(AppendBlobClient blob)
    {
        try
        {
            EnsureEpochOwner();
            Lease(blob);
            return true;
        }
        catch (StaleEpochException)
        {
            return false;
        }
    }

    private static long BaseOffsetOf(BlobSegmentFile file)
    {
        var name = file.Blob.Name;
        return long.Parse(name.AsSpan(name.Length - SegmentExtension.Length - OffsetDigits, OffsetDigits), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Takes the last segment over: leases it and follows the segments a writer rolled to (adding them to <paramref name="offsets"/>).
    /// </summary>
    private void TakeOver(List<long> offsets)
    {
        while (true)
        {
            var blob = Segment(offsets[^1]);
            var properties = Lease(blob);
            if (!properties.Metadata.TryGetValue(NextSegmentKey, out var next))
            {
                _active = new BlobSegmentFile(blob, this, _leaseId, properties, _maxBlocks, _reservedBlocks, _maxBlockBytes);
                return;
            }

            // The previous writer was rolling to the next segment: it may have written there already.
            var nextOffset = long.Parse(next, NumberStyles.None, CultureInfo.InvariantCulture);
            Segment(nextOffset).CreateIfNotExists();
            ReleaseLease(blob);
            offsets.Add(nextOffset);
        }
    }

    /// <summary>
    /// Breaks the blob's lease (the previous writer's), takes a new one and checks that no other writer wrote the epoch
    /// blob meanwhile: a writer that opens later writes the epoch blob before it breaks this lease, so it reads every
    /// byte appended under this lease. Returns the blob's properties as of the new lease.
    /// </summary>
    private BlobProperties Lease(AppendBlobClient blob)
    {
        try
        {
            blob.GetBlobLeaseClient().Break(TimeSpan.Zero);
        }
        catch (RequestFailedException unleased) when (unleased.ErrorCode == BlobErrorCode.LeaseNotPresentWithLeaseOperation)
        {
            // Nobody held it: a writer that rolled away from it, or none yet.
        }

        Fenced(() => blob.GetBlobLeaseClient(_leaseId).Acquire(BlobLeaseClient.InfiniteLeaseDuration));
        EnsureEpochOwner();
        return blob.GetProperties(new BlobRequestConditions { LeaseId = _leaseId }).Value;
    }

    private (int Epoch, string? Writer) ReadEpochBlob()
    {
        try
        {
            var content = _container.GetBlobClient(_prefix + EpochBlobName).DownloadContent().Value;
            _epochETag = content.Details.ETag;
            content.Details.Metadata.TryGetValue(WriterKey, out var writer);
            return int.TryParse(content.Content.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
                ? (epoch, writer)
                : throw new InvalidDataException($"The epoch blob of {_partition} is corrupt.");
        }
        catch (RequestFailedException missing) when (missing.Status == 404)
        {
            _epochETag = null;
            return (0, null);
        }
    }

    /// <summary>Throws when the epoch blob is no longer the one this writer wrote.</summary>
    private void EnsureEpochOwner()
    {
        var (current, writer) = ReadEpochBlob();
        if (current != _epoch || writer != _leaseId)
        {
            throw new StaleEpochException(_partition, _epoch, current);
        }
    }

    /// <summary>Metadata that names this writer (its lease id) as the one that wrote a blob, so a retry refused because the first attempt landed can tell.</summary>
    private Dictionary<string, string> WrittenByThis() => new() { [WriterKey] = _leaseId };

    private BlobSegmentFile Roll(long baseOffset)
    {
        var sealing = _active!;
        var metadata = sealing.Metadata();
        metadata[NextSegmentKey] = baseOffset.ToString(CultureInfo.InvariantCulture);
        FencedOnActive(() => sealing.Blob.SetMetadata(metadata, new BlobRequestConditions { LeaseId = _leaseId }));
        var blob = Segment(baseOffset);
        CreateSegment(blob);
        Fenced(() => blob.GetBlobLeaseClient(_leaseId).Acquire(BlobLeaseClient.InfiniteLeaseDuration));
        ReleaseLease(sealing.Blob);
        _active = new BlobSegmentFile(blob, this, _leaseId, BlobsModelFactory.BlobProperties(), _maxBlocks, _reservedBlocks, _maxBlockBytes);
        return _active;
    }

    /// <summary>Creates the segment a roll moves to; it must not exist yet, or a newer writer that followed this one's roll record made it.</summary>
    private void CreateSegment(AppendBlobClient blob)
    {
        try
        {
            blob.Create(new AppendBlobCreateOptions { Metadata = WrittenByThis(), Conditions = new AppendBlobRequestConditions { IfNoneMatch = ETag.All } });
        }
        catch (RequestFailedException exists) when (exists.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            // Or this writer made it, on an attempt whose answer was lost.
            if (!blob.GetProperties().Value.Metadata.TryGetValue(WriterKey, out var writer) || writer != _leaseId)
            {
                throw Stale(exists);
            }
        }
    }

    /// <summary>
    /// Releases this writer's lease on a segment it moved away from, so retention can delete it without breaking a lease.
    /// A lease no longer there (released by an attempt whose answer was lost, or broken by a newer writer) needs nothing more.
    /// </summary>
    private void ReleaseLease(BlobBaseClient blob)
    {
        try
        {
            blob.GetBlobLeaseClient(_leaseId).Release();
        }
        catch (RequestFailedException gone) when (IsLeaseRefusal(gone))
        {
            // Nothing to release.
        }
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
            FencedOnActive(() => _active.Blob.GetBlobLeaseClient(_leaseId).Renew());
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
