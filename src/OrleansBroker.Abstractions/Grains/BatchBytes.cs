using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace OrleansBroker.Grains;

/// <summary>
/// The bytes of a record batch as a grain-call argument. Orleans' own codec for a byte buffer allocates a new array for
/// every call it receives: for 512 KiB batches, hundreds of large-object allocations a second, which kept a silo in
/// blocking gen2 collections. Received batches land in an array rented from <see cref="ArrayPool{T}.Shared"/> instead,
/// which the receiving grain gives back (<see cref="Release"/>) once it is done with the bytes. Never copied within a
/// silo (<see cref="ImmutableAttribute"/>): a caller in the same silo hands over its own buffer, which is not rented.
/// </summary>
[Immutable]
public sealed class BatchBytes
{
    private byte[]? _rented;

    /// <summary>Wraps the caller's bytes.</summary>
    public BatchBytes(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    private BatchBytes(byte[] rented, int length)
    {
        _rented = rented;
        Bytes = rented.AsMemory(0, length);
    }

    /// <summary>The batch.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    /// <summary>Wraps the caller's bytes.</summary>
    public static implicit operator BatchBytes(ReadOnlyMemory<byte> bytes) => new(bytes);

    /// <summary>Wraps the caller's bytes.</summary>
    public static implicit operator BatchBytes(byte[] bytes) => new(bytes);

    /// <summary>
    /// Gives a received batch's buffer back to the pool; the bytes must not be touched afterwards. Does nothing for bytes
    /// the caller wrapped. Called once, by the grain that received the batch.
    /// </summary>
    public void Release()
    {
        if (_rented is { } rented)
        {
            _rented = null;
            Bytes = default;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // An empty batch (invalid, but it must still arrive to be refused) rents nothing: the pool takes back only its own sizes.
    internal static BatchBytes Rent(int length) => length == 0 ? new(ReadOnlyMemory<byte>.Empty) : new(ArrayPool<byte>.Shared.Rent(length), length);
}

/// <summary>Writes a <see cref="BatchBytes"/> as Orleans writes a byte buffer; reads it into a pooled array.</summary>
[RegisterSerializer]
internal sealed class BatchBytesCodec : IFieldCodec<BatchBytes>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, BatchBytes? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }

        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(BatchBytes), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)value.Bytes.Length);
        writer.Write(value.Bytes.Span);
    }

    [return: MaybeNull]
    public BatchBytes ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<BatchBytes?, TInput>(ref reader, field);
        }

        field.EnsureWireType(WireType.LengthPrefixed);
        var length = checked((int)reader.ReadVarUInt32());
        var result = BatchBytes.Rent(length);
        reader.ReadBytes(MemoryMarshal.AsMemory(result.Bytes).Span);
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }
}
