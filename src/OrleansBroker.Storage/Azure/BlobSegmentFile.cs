using System.Buffers;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Azure;

/// <summary>
/// One segment as an append blob. Only the writer that holds the blob's lease appends, and each append
/// is conditioned on that lease and on the append position, so bytes of a stale writer never land.
/// </summary>
/// <remarks>
/// An append blob cannot shrink. A torn tail (bytes that are not whole batches, which this writer never
/// produces: it cuts append blocks at batch boundaries, and a block lands whole or not at all) is cut
/// logically: the <c>skip</c> metadata lists <c>position:count</c> pairs of stored bytes that reads and
/// lengths pass over, and appends go on after them.
/// </remarks>
internal sealed class BlobSegmentFile : ISegmentFile
{
    public const string SkipKey = "skip";

    private readonly AppendBlobClient _blob;
    private readonly BlobLogDirectory _directory;
    private readonly string? _leaseId;
    private readonly int _maxBlocks;
    private readonly int _reservedBlocks;
    private readonly int _maxBlockBytes;
    private readonly List<(long Position, long Count)> _skips;
    private long _storedLength;
    private long _skipped;
    private int _blocks;

    /// <param name="blob">The segment's append blob.</param>
    /// <param name="directory">The log's directory, which maps refusals to <see cref="StaleEpochException"/>.</param>
    /// <param name="leaseId">The lease this writer holds, or null for a sealed segment that is only read.</param>
    /// <param name="properties">The blob's properties, read after the lease was taken.</param>
    /// <param name="maxBlocks">The most blocks the blob takes.</param>
    /// <param name="reservedBlocks">The blocks one group commit may need: the segment counts as full once fewer are left.</param>
    /// <param name="maxBlockBytes">The largest append block.</param>
    public BlobSegmentFile(AppendBlobClient blob, BlobLogDirectory directory, string? leaseId, BlobProperties properties, int maxBlocks, int reservedBlocks, int maxBlockBytes)
    {
        _blob = blob;
        _directory = directory;
        _leaseId = leaseId;
        _maxBlocks = maxBlocks;
        _reservedBlocks = reservedBlocks;
        _maxBlockBytes = maxBlockBytes;
        _storedLength = properties.ContentLength;
        _blocks = properties.BlobCommittedBlockCount;
        _skips = ParseSkips(properties.Metadata);
        _skipped = _skips.Sum(skip => skip.Count);
    }

    public AppendBlobClient Blob => _blob;

    public long Length => Volatile.Read(ref _storedLength) - Volatile.Read(ref _skipped);

    public bool IsFull => _blocks + _reservedBlocks >= _maxBlocks;

    /// <summary>True: an append block is durable once the service acknowledged it, and only acknowledged blocks count.</summary>
    public bool LengthIsDurable => true;

    /// <summary>The metadata that describes the stored bytes; a roll adds to it rather than replacing it.</summary>
    public Dictionary<string, string> Metadata() =>
        _skips.Count == 0 ? [] : new() { [SkipKey] = string.Join(',', _skips.Select(skip => string.Create(CultureInfo.InvariantCulture, $"{skip.Position}:{skip.Count}"))) };

    public int Read(Span<byte> buffer, long position)
    {
        var (stored, count) = Locate(position, buffer.Length);
        if (count == 0)
        {
            return 0;
        }

        using var content = Download(stored, count);
        var total = 0;
        int read;
        while (total < count && (read = content.Read(buffer[total..count])) > 0)
        {
            total += read;
        }

        return total;
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        var (stored, count) = Locate(position, buffer.Length);
        if (count == 0)
        {
            return 0;
        }

        Response<BlobDownloadStreamingResult> response;
        try
        {
            response = await _blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(stored, count) }, cancellationToken);
        }
        catch (RequestFailedException missing) when (missing.Status == 404)
        {
            // Retention deleted the segment while it was being read: the engine answers offset out of range.
            throw new ObjectDisposedException(_blob.Name, missing);
        }
        catch (Exception failure) when (BlobLogDirectory.IsStorageFailure(failure))
        {
            throw new LogStorageException($"Reading {_blob.Name} failed. {failure.Message}", failure);
        }

        await using var content = response.Value.Content;
        var total = 0;
        int read;
        while (total < count && (read = await content.ReadAsync(buffer[total..count], cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }

    public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position)
    {
        if (_leaseId is null || position != Length)
        {
            throw new InvalidOperationException($"Segment {_blob.Name} takes appends only from its lease holder at its end ({Length}), not at {position}.");
        }

        // The SDK sends a block from one stream: the batches of a block are copied into one pooled buffer,
        // which costs far less than the round trip it saves.
        var capacity = (int)Math.Min(buffers.Sum(buffer => (long)buffer.Length), _maxBlockBytes);

        // The pool may hand out a larger array than asked for: blocks are cut at the capacity asked, not at its length.
        var block = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var filled = 0;
            foreach (var buffer in buffers)
            {
                // Blocks are cut between batches, never inside one, so the blob only ever holds whole batches.
                if (filled + buffer.Length > capacity)
                {
                    AppendBlock(block, filled);
                    filled = 0;
                }

                buffer.Span.CopyTo(block.AsSpan(filled));
                filled += buffer.Length;
            }

            if (filled > 0)
            {
                AppendBlock(block, filled);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Nothing to do: an append block is durable once the service acknowledged it.</summary>
    public void Flush()
    {
    }

    public void Truncate(long length)
    {
        var end = Length;
        if (_leaseId is null || length > end || (_skips.Count > 0 && length < _skips[^1].Position))
        {
            throw new InvalidOperationException($"Segment {_blob.Name} cannot be cut to {length} bytes.");
        }

        if (length == end)
        {
            return;
        }

        _skips.Add((length, end - length));
        _directory.FencedOnActive(() => _blob.SetMetadata(Metadata(), new BlobRequestConditions { LeaseId = _leaseId }));
        Volatile.Write(ref _skipped, _skipped + end - length);
    }

    /// <summary>Append blobs hold exactly the bytes appended.</summary>
    public void EndWrites()
    {
    }

    /// <summary>Nothing to release: the lease stays until the next writer breaks it or a roll releases it.</summary>
    public void Dispose()
    {
    }

    private static List<(long Position, long Count)> ParseSkips(IDictionary<string, string>? metadata)
    {
        var skips = new List<(long Position, long Count)>();
        if (metadata?.TryGetValue(SkipKey, out var text) == true)
        {
            foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split(':');
                skips.Add((long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture)));
            }
        }

        return skips;
    }

    /// <summary>Where the bytes at a logical position are stored, and how many can be read there in one range.</summary>
    private (long Stored, int Count) Locate(long position, int length)
    {
        var stored = position;
        var limit = Length;
        foreach (var (skipPosition, count) in _skips)
        {
            if (skipPosition > position)
            {
                limit = skipPosition;
                break;
            }

            stored += count;
        }

        return (stored, (int)Math.Clamp(limit - position, 0, length));
    }

    private Stream Download(long stored, int count) =>
        _blob.DownloadStreaming(new BlobDownloadOptions { Range = new HttpRange(stored, count) }).Value.Content;

    private void AppendBlock(byte[] block, int count)
    {
        var position = _storedLength;
        _directory.FencedOnActive(() => Append(block, count, position));
        Volatile.Write(ref _storedLength, position + count);
    }

    /// <summary>
    /// Appends a block at <paramref name="position"/> only: the SDK may retry it blindly, since a retry of an attempt that
    /// landed finds the blob past that position and is refused instead of writing the block twice.
    /// </summary>
    private void Append(byte[] block, int count, long position)
    {
        using var content = new MemoryStream(block, 0, count, writable: false);
        var conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = position, LeaseId = _leaseId };
        try
        {
            _blocks = _blob.AppendBlock(content, new AppendBlobAppendBlockOptions { Conditions = conditions }).Value.BlobCommittedBlockCount;
        }
        catch (RequestFailedException moved) when (moved.ErrorCode == BlobErrorCode.AppendPositionConditionNotMet)
        {
            // An attempt whose answer was lost landed (only the lease holder appends, and it appends only this block here), or
            // another writer appended: the stored bytes tell, since another writer's batches carry another epoch.
            if (!Stores(block.AsSpan(0, count), position))
            {
                throw;
            }

            _blocks++;
        }
    }

    /// <summary>True when the blob holds <paramref name="expected"/> at <paramref name="position"/>.</summary>
    private bool Stores(ReadOnlySpan<byte> expected, long position)
    {
        try
        {
            var stored = _blob.DownloadContent(new BlobDownloadOptions { Range = new HttpRange(position, expected.Length) }).Value.Content;
            return stored.ToMemory().Span.SequenceEqual(expected);
        }
        catch (RequestFailedException beyondEnd) when (beyondEnd.Status == 416)
        {
            return false;
        }
    }
}
