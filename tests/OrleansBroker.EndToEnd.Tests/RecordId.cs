using System.Globalization;
using System.Text;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// Who produced a record and its place in that producer's sequence, carried as the record's value
/// (<c>{producer}:{sequence}</c>). The key spreads a producer's records over the partitions.
/// </summary>
internal readonly record struct RecordId(int Producer, long Sequence)
{
    private const int KeysPerProducer = 64;

    public byte[] Key => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Producer}-{Sequence % KeysPerProducer}"));

    public byte[] Value => Encoding.UTF8.GetBytes(ToString());

    public static RecordId Parse(ReadOnlySpan<byte> value)
    {
        var text = Encoding.UTF8.GetString(value).AsSpan();
        var colon = text.IndexOf(':');
        return new RecordId(
            int.Parse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture),
            long.Parse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Producer}:{Sequence}");
}
