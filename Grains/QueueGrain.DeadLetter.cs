using System.Globalization;
using System.Text;
using OrleansBroker.Records;

namespace OrleansBroker.Grains;

public sealed partial class QueueGrain
{
    // Copies go to the dead-letter topic in batches well under its default max.message.bytes.
    private const int DeadLetterBatchBytes = 512 * 1024;

    private Task? _deadLetterTopic;

    private string DeadLetterTopic => _options.DeadLetterTopic(_id.TopicPartition.Topic, _id.Group);

    /// <summary>Copies records that are being dead-lettered (sorted offsets) to the dead-letter topic, then marks them done.</summary>
    private async Task DeadLetterAsync(ReadOnlyMemory<long> offsets, string reason)
    {
        try
        {
            var remaining = offsets;
            while (!remaining.IsEmpty)
            {
                var fetched = await _partition.FetchAsync(remaining.Span[0], _options.MaxAcquireBytes, TimeSpan.Zero);
                ObserveLog(fetched.LogStartOffset, fetched.HighWatermark);
                if (fetched.Status != FetchStatus.Ok || fetched.Batches.IsEmpty)
                {
                    // Retention took the records: nothing is left to copy.
                    break;
                }

                var written = await WriteDeadLettersAsync(fetched.Batches, remaining, reason);
                remaining = remaining[written..];
            }
        }
        catch
        {
            _window.AbortDeadLetter(offsets.Span);
            Signal();
            throw;
        }

        _deadLettered += _window.Complete(offsets.Span);
        Signal();
        await PersistAsync();
    }

    /// <summary>
    /// Appends copies of the records at <paramref name="offsets"/> (sorted) found in <paramref name="batches"/> to the
    /// dead-letter topic, with headers saying why; returns how many offsets, from the first, were copied.
    /// </summary>
    private async Task<int> WriteDeadLettersAsync(ReadOnlyMemory<byte> batches, ReadOnlyMemory<long> offsets, string reason)
    {
        await EnsureDeadLetterTopicAsync();
        var deadLetters = GrainFactory.GetGrain<IPartitionGrain>(new TopicPartition(DeadLetterTopic, 0).ToString());
        using var builder = new RecordBatchBuilder();
        var reader = new RecordBatchReader(batches);
        var copied = 0;
        while (copied < offsets.Length && reader.TryReadNext(out var record))
        {
            if (record.Offset != offsets.Span[copied])
            {
                continue;
            }

            var headers = new List<RecordHeader>(record.Headers.ToArray())
            {
                Text(DeadLetterHeaders.Reason, reason),
                Text(DeadLetterHeaders.Group, _id.Group),
                Text(DeadLetterHeaders.Topic, _id.TopicPartition.Topic),
                Text(DeadLetterHeaders.Partition, _id.TopicPartition.Partition.ToString(CultureInfo.InvariantCulture)),
                Text(DeadLetterHeaders.Offset, record.Offset.ToString(CultureInfo.InvariantCulture)),
                Text(DeadLetterHeaders.DeliveryCount, _window.DeliveryCount(record.Offset).ToString(CultureInfo.InvariantCulture)),
            };
            builder.Append(record.Timestamp, record.Key.Span, record.KeyIsNull, record.Value.Span, record.ValueIsNull, headers.ToArray());
            copied++;
            if (builder.SizeInBytes >= DeadLetterBatchBytes)
            {
                await deadLetters.AppendAsync(builder.Build().ToArray());
                builder.Reset();
            }
        }

        if (builder.Count > 0)
        {
            await deadLetters.AppendAsync(builder.Build().ToArray());
        }

        if (copied > 0)
        {
            LogDeadLettered(logger, _id, copied, DeadLetterTopic, reason);
        }

        return copied;
    }

    private async Task EnsureDeadLetterTopicAsync()
    {
        var creation = _deadLetterTopic ??= CreateDeadLetterTopicAsync();
        try
        {
            await creation;
        }
        catch
        {
            // Not cached: the next dead letter tries again.
            _deadLetterTopic = null;
            throw;
        }
    }

    private async Task CreateDeadLetterTopicAsync()
    {
        try
        {
            await GrainFactory.GetGrain<ITopicGrain>(DeadLetterTopic).CreateAsync(TopicConfig.Default);
        }
        catch (TopicAlreadyExistsException)
        {
            // Created by an earlier activation or another partition of the group.
        }
    }

    private static RecordHeader Text(string key, string value) => new(key, Encoding.UTF8.GetBytes(value));
}
