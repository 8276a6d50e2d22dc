using System.Text;
using BenchmarkDotNet.Attributes;
using OrleansBroker.Records;

namespace OrleansBroker.Benchmarks;

/// <summary>
/// The producer's partitioners, per record: murmur2 over a 16-byte key for keyed records (<see cref="DefaultPartitioner"/>),
/// and the sticky choice for keyless ones (<see cref="StickyPartitioner"/>), to 12 partitions.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class PartitionerBenchmarks
{
    private const int Partitions = 12;
    private const int KeysPerInvoke = 1024;

    private readonly StickyPartitioner _sticky = new();
    private readonly byte[][] _keys = new byte[KeysPerInvoke][];

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            _keys[i] = Encoding.ASCII.GetBytes($"customer-{i:D7}");
        }
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke)]
    public int KeyedPartition()
    {
        var sum = 0;
        foreach (var key in _keys)
        {
            sum += DefaultPartitioner.Partition(key, Partitions);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeysPerInvoke)]
    public int StickyPartition()
    {
        var sum = 0;
        for (var i = 0; i < KeysPerInvoke; i++)
        {
            sum += _sticky.Partition("orders", Partitions);
        }

        return sum;
    }
}
