using System.Text;

namespace OrleansBroker.Records;

/// <summary>
/// The headers of one read record, decoded from the batch bytes as they are enumerated (no allocation).
/// The bytes were checked by <see cref="RecordBatchReader"/> before the record was handed out.
/// </summary>
public readonly struct RecordHeaders
{
    private readonly ReadOnlyMemory<byte> _bytes;

    internal RecordHeaders(ReadOnlyMemory<byte> bytes, int count)
    {
        _bytes = bytes;
        Count = count;
    }

    /// <summary>The number of headers.</summary>
    public int Count { get; }

    /// <summary>Returns an enumerator over the headers as slices of the batch.</summary>
    public Enumerator GetEnumerator() => new(_bytes, Count);

    /// <summary>Copies the headers out with their keys decoded as strings; values stay slices of the batch.</summary>
    public RecordHeader[] ToArray()
    {
        if (Count == 0)
        {
            return [];
        }

        var result = new RecordHeader[Count];
        var i = 0;
        foreach (var header in this)
        {
            result[i++] = new RecordHeader(
                Encoding.UTF8.GetString(header.Key.Span),
                header.ValueIsNull ? (ReadOnlyMemory<byte>?)null : header.Value);
        }

        return result;
    }

    /// <summary>Enumerates the headers of one record.</summary>
    public struct Enumerator
    {
        private readonly ReadOnlyMemory<byte> _bytes;
        private int _remaining;
        private int _position;

        internal Enumerator(ReadOnlyMemory<byte> bytes, int count)
        {
            _bytes = bytes;
            _remaining = count;
        }

        /// <summary>The header at the enumerator's position.</summary>
        public RecordHeaderView Current { get; private set; }

        /// <summary>Moves to the next header.</summary>
        public bool MoveNext()
        {
            if (_remaining == 0
                || !RecordCodec.TryReadHeader(_bytes.Span, ref _position, out var keyStart, out var keyLength, out var valueStart, out var valueLength))
            {
                return false;
            }

            _remaining--;
            Current = new RecordHeaderView(
                _bytes.Slice(keyStart, keyLength),
                valueLength < 0 ? ReadOnlyMemory<byte>.Empty : _bytes.Slice(valueStart, valueLength),
                valueLength < 0);
            return true;
        }
    }
}

/// <summary>One header of a read record, as slices of the batch bytes.</summary>
/// <param name="Key">The UTF-8 bytes of the key.</param>
/// <param name="Value">The value bytes; empty when <paramref name="ValueIsNull"/>.</param>
/// <param name="ValueIsNull">Whether the value is null (as opposed to empty).</param>
public readonly record struct RecordHeaderView(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value, bool ValueIsNull);
