using System.Text;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Producing;

/// <summary>
/// One record on its way into a batch: a view over the caller's memory, or over copies while it waits.
/// <see cref="Size"/> bounds the record's encoded size from above (it is what the producer's buffer accounts for).
/// </summary>
internal readonly record struct ProducerRecord(
    long Timestamp,
    ReadOnlyMemory<byte>? Key,
    ReadOnlyMemory<byte>? Value,
    ReadOnlyMemory<RecordHeader> Headers,
    int Size)
{
    // Length, attributes, timestamp delta, offset delta, key and value lengths and header count, each at its widest.
    private const int MaxRecordOverhead = Varint.MaxInt32Size + 1 + Varint.MaxInt64Size + (4 * Varint.MaxInt32Size);

    public static ProducerRecord Create(long timestamp, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlyMemory<RecordHeader> headers)
    {
        var size = MaxRecordOverhead + (key?.Length ?? 0) + (value?.Length ?? 0);
        foreach (var header in headers.Span)
        {
            size += (2 * Varint.MaxInt32Size) + Encoding.UTF8.GetByteCount(header.Key) + (header.Value?.Length ?? 0);
        }

        return new(timestamp, key, value, headers, size);
    }

    /// <summary>Appends the record unless the batch would then exceed <paramref name="maxBatchBytes"/> or hold too many records.</summary>
    public bool TryAppendTo(RecordBatchBuilder builder, int maxBatchBytes) =>
        builder.TryAppend(
            Timestamp,
            Key.GetValueOrDefault().Span,
            !Key.HasValue,
            Value.GetValueOrDefault().Span,
            !Value.HasValue,
            Headers.Span,
            maxBatchBytes);

    /// <summary>A copy that no longer refers to the caller's buffers, for a record that must wait.</summary>
    public ProducerRecord Detach()
    {
        var headers = Headers.Span;
        var copies = new RecordHeader[headers.Length];
        for (var i = 0; i < headers.Length; i++)
        {
            copies[i] = headers[i] with { Value = Copy(headers[i].Value) };
        }

        return this with { Key = Copy(Key), Value = Copy(Value), Headers = copies };
    }

    // Not `memory?.ToArray()`: a null array converts to an empty (not a null) memory, which would turn a null key into an empty one.
    private static ReadOnlyMemory<byte>? Copy(ReadOnlyMemory<byte>? memory) =>
        memory is { } bytes ? new ReadOnlyMemory<byte>(bytes.ToArray()) : default(ReadOnlyMemory<byte>?);
}
