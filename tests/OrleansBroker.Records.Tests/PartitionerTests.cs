using System.Text;

namespace OrleansBroker.Records.Tests;

public sealed class PartitionerTests
{
    // The vectors of Apache Kafka's own test: apache/kafka
    // clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2
    // (read at commit f55581dc73953c3509a4702433aeeeddc2970779).
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_kafkas_test_vectors(string key, int expected)
    {
        // Act
        var hash = Murmur2.Hash(Encoding.ASCII.GetBytes(key));

        // Assert
        Assert.Equal(expected, hash);
    }

    // Kafka's partitionForKey is toPositive(murmur2(key)) % n with toPositive = & 0x7fffffff. Kafka's own
    // partitioner tests assert only stability, so the expected partitions are that formula applied by hand
    // to the UtilsTest hashes above: e.g. foobar -> -790332482 & 0x7fffffff = 1357151166, % 12 = 6.
    [Theory]
    [InlineData("21", 12, 0)]
    [InlineData("foobar", 12, 6)]
    [InlineData("foobar", 100, 66)]
    [InlineData("a-little-bit-long-string", 12, 8)]
    [InlineData("a-little-bit-longer-string", 100, 19)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 3, 2)]
    [InlineData("abc", 12, 3)]
    public void The_default_partitioner_picks_the_partition_kafka_picks(string key, int partitions, int expected)
    {
        // Act
        var partition = DefaultPartitioner.Partition(Encoding.ASCII.GetBytes(key), partitions);

        // Assert
        Assert.Equal(expected, partition);
    }

    [Fact]
    public void The_default_partitioner_rejects_a_partition_count_below_one()
    {
        // Act and Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => DefaultPartitioner.Partition("k"u8, 0));
    }

    [Fact]
    public void The_sticky_partitioner_keeps_a_topic_on_one_partition_until_a_batch_completes()
    {
        // Arrange
        var partitioner = new StickyPartitioner(new Random(42));
        var first = partitioner.Partition("orders", 8);

        // Act
        var picks = Enumerable.Range(0, 100).Select(_ => partitioner.Partition("orders", 8)).ToArray();

        // Assert
        Assert.All(picks, p => Assert.Equal(first, p));
    }

    [Fact]
    public void A_completed_batch_moves_the_topic_to_a_different_partition()
    {
        // Arrange
        var partitioner = new StickyPartitioner(new Random(7));
        var visited = new HashSet<int>();

        for (var i = 0; i < 200; i++)
        {
            var before = partitioner.Partition("orders", 4);
            visited.Add(before);

            // Act
            var after = partitioner.BatchCompleted("orders", 4, before);

            // Assert
            Assert.NotEqual(before, after);
            Assert.InRange(after, 0, 3);
            Assert.Equal(after, partitioner.Partition("orders", 4));
        }

        Assert.Equal(4, visited.Count);
    }

    [Fact]
    public void A_completion_for_a_partition_the_topic_already_left_does_not_move_it_again()
    {
        // Arrange
        var partitioner = new StickyPartitioner(new Random(1));
        var first = partitioner.Partition("orders", 6);
        var second = partitioner.BatchCompleted("orders", 6, first);

        // Act: a second sender reports the same completed batch late.
        var third = partitioner.BatchCompleted("orders", 6, first);

        // Assert
        Assert.Equal(second, third);
    }

    [Fact]
    public void A_topic_with_one_partition_stays_on_it()
    {
        // Arrange
        var partitioner = new StickyPartitioner(new Random(3));

        // Act
        var after = partitioner.BatchCompleted("single", 1, partitioner.Partition("single", 1));

        // Assert
        Assert.Equal(0, after);
    }

    [Fact]
    public void Topics_move_independently()
    {
        // Arrange
        var partitioner = new StickyPartitioner(new Random(5));
        var a = partitioner.Partition("a", 10);
        var b = partitioner.Partition("b", 10);

        // Act
        partitioner.BatchCompleted("a", 10, a);

        // Assert
        Assert.NotEqual(a, partitioner.Partition("a", 10));
        Assert.Equal(b, partitioner.Partition("b", 10));
    }

    [Fact]
    public void Concurrent_senders_always_get_a_partition_in_range()
    {
        // Arrange
        var partitioner = new StickyPartitioner();
        var outOfRange = 0;

        // Act
        Parallel.For(0, 20_000, i =>
        {
            var p = partitioner.Partition("orders", 5);
            if (i % 7 == 0)
            {
                p = partitioner.BatchCompleted("orders", 5, p);
            }

            if (p is < 0 or >= 5)
            {
                Interlocked.Increment(ref outOfRange);
            }
        });

        // Assert
        Assert.Equal(0, outOfRange);
    }

    [Fact]
    public void Picking_a_partition_for_a_known_topic_does_not_allocate()
    {
        // Arrange
        var partitioner = new StickyPartitioner(new Random(9));
        partitioner.Partition("orders", 8);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // Act
        for (var i = 0; i < 1000; i++)
        {
            partitioner.Partition("orders", 8);
            DefaultPartitioner.Partition("key"u8, 8);
        }

        // Assert
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
