using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>One row of <c>obroker topics describe</c>.</summary>
internal readonly record struct PartitionRow(int Partition, long LogStartOffset, long HighWatermark, long SizeInBytes)
{
    /// <summary>The partition rows: every line after the column headings.</summary>
    public static PartitionRow[] Parse(ObrokerResult describe) =>
    [
        .. describe.Lines
            .SkipWhile(line => !line.StartsWith("PARTITION", StringComparison.Ordinal))
            .Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(cells => new PartitionRow(
                int.Parse(cells[0], CultureInfo.InvariantCulture),
                long.Parse(cells[1], CultureInfo.InvariantCulture),
                long.Parse(cells[2], CultureInfo.InvariantCulture),
                long.Parse(cells[3], CultureInfo.InvariantCulture))),
    ];
}
