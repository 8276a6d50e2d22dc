using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using OrleansBroker.Records;

namespace OrleansBroker.Grains.Storage;

/// <summary>
/// The on-disk form of one grain state. All integers are big-endian.
/// <code>
/// +0      u32  magic "OBGS"
/// +4      u16  format version (1)
/// +6      u16  reserved (0)
/// +8      u64  sequence: 1 when the record is created, +1 per write
/// +16     u64  incarnation: random, chosen when the record is created
/// +24     i32  identity length N
/// +28     i32  payload length M
/// +32     N    identity: state name, grain type and grain key, each as i32 length + bytes
/// +32+N   M    payload: the state, as the configured IGrainStorageSerializer wrote it
/// +32+N+M u32  CRC-32C of every byte before it
/// </code>
/// The ETag is "sequence-incarnation". The incarnation changes when a cleared record is created again, so an
/// ETag read before a clear can never match the record written after it, even though the sequence restarts.
/// </summary>
internal static class GrainStateFile
{
    public const int HeaderLength = 32;
    public const int TrailerLength = sizeof(uint);

    private const uint Magic = 0x4F424753;
    private const ushort FormatVersion = 1;

    /// <summary>Encodes what the file belongs to; a file is only trusted if its identity matches exactly.</summary>
    public static byte[] EncodeIdentity(string stateName, GrainId grainId)
    {
        var type = grainId.Type.AsSpan();
        var key = grainId.Key.AsSpan();
        var stateNameLength = Encoding.UTF8.GetByteCount(stateName);
        var identity = new byte[checked((3 * sizeof(int)) + stateNameLength + type.Length + key.Length)];
        var span = identity.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, stateNameLength);
        span = span[sizeof(int)..];
        span = span[Encoding.UTF8.GetBytes(stateName, span)..];
        span = WriteField(span, type);
        WriteField(span, key);
        return identity;
    }

    public static int GetLength(int identityLength, int payloadLength) =>
        checked(HeaderLength + identityLength + payloadLength + TrailerLength);

    public static string FormatETag(ulong sequence, ulong incarnation) =>
        string.Create(CultureInfo.InvariantCulture, $"{sequence}-{incarnation:x16}");

    /// <summary>Writes a whole file image into <paramref name="destination"/>, which is exactly <see cref="GetLength"/> long.</summary>
    public static void Write(Span<byte> destination, ulong sequence, ulong incarnation, ReadOnlySpan<byte> identity, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], sequence);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], incarnation);
        BinaryPrimitives.WriteInt32BigEndian(destination[24..], identity.Length);
        BinaryPrimitives.WriteInt32BigEndian(destination[28..], payload.Length);
        identity.CopyTo(destination[HeaderLength..]);
        payload.CopyTo(destination[(HeaderLength + identity.Length)..]);
        var crcOffset = destination.Length - TrailerLength;
        BinaryPrimitives.WriteUInt32BigEndian(destination[crcOffset..], Crc32C.Compute(destination[..crcOffset]));
    }

    /// <summary>Checks a whole file image and returns its record.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or belongs to another grain state.</exception>
    public static StoredGrainState Parse(ReadOnlyMemory<byte> file, ReadOnlySpan<byte> expectedIdentity, string path)
    {
        var span = file.Span;
        if (span.Length < HeaderLength + TrailerLength)
        {
            throw Corrupt(path, $"it is {span.Length} bytes long, shorter than the smallest valid file");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(span) != Magic)
        {
            throw Corrupt(path, "it does not start with the grain state magic number");
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
        if (version != FormatVersion)
        {
            throw Corrupt(path, $"its format version {version} is not {FormatVersion}");
        }

        var identityLength = BinaryPrimitives.ReadInt32BigEndian(span[24..]);
        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(span[28..]);
        if (identityLength < 0 || payloadLength < 0
            || (long)HeaderLength + identityLength + payloadLength + TrailerLength != span.Length)
        {
            throw Corrupt(path, $"its lengths (identity {identityLength}, payload {payloadLength}) do not match its size {span.Length} (truncated?)");
        }

        var crcOffset = span.Length - TrailerLength;
        if (BinaryPrimitives.ReadUInt32BigEndian(span[crcOffset..]) != Crc32C.Compute(span[..crcOffset]))
        {
            throw Corrupt(path, "its CRC-32C does not match its contents");
        }

        if (!span.Slice(HeaderLength, identityLength).SequenceEqual(expectedIdentity))
        {
            throw Corrupt(path, "it holds the state of another grain (file name hash collision or a copied file)");
        }

        return new StoredGrainState(
            BinaryPrimitives.ReadUInt64BigEndian(span[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(span[16..]),
            file.Slice(HeaderLength + identityLength, payloadLength));
    }

    private static Span<byte> WriteField(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, value.Length);
        value.CopyTo(destination[sizeof(int)..]);
        return destination[(sizeof(int) + value.Length)..];
    }

    private static InvalidDataException Corrupt(string path, string reason) =>
        new($"Grain state file '{path}' is unreadable: {reason}. Restore it from a backup, or delete it to reset this grain state.");
}

/// <summary>A parsed grain state file; <see cref="Payload"/> points into the buffer it was parsed from.</summary>
internal readonly record struct StoredGrainState(ulong Sequence, ulong Incarnation, ReadOnlyMemory<byte> Payload)
{
    public string ETag => GrainStateFile.FormatETag(Sequence, Incarnation);
}
