using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace OrleansBroker.Grains.Tests.Serialization;

public sealed class BatchBytesCodecTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();

    private Serializer<BatchBytes> Serializer => _services.GetRequiredService<Serializer<BatchBytes>>();

    [Fact]
    public void A_received_batch_has_the_bytes_sent_in_a_buffer_rented_from_the_pool()
    {
        // Arrange
        var sent = new byte[1000];
        Random.Shared.NextBytes(sent);

        // Act
        var received = RoundTrip(new BatchBytes(sent));

        // Assert
        Assert.Equal(sent, received.Bytes.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(received.Bytes, out var segment));
        Assert.Equal(1024, segment.Array!.Length);
        received.Release();
        Assert.True(received.Bytes.IsEmpty);
        Assert.Same(segment.Array, ArrayPool<byte>.Shared.Rent(1000));
    }

    [Fact]
    public void Releasing_bytes_the_caller_wrapped_leaves_them_alone()
    {
        // Arrange
        byte[] bytes = [1, 2, 3];
        var batch = new BatchBytes(bytes);

        // Act
        batch.Release();

        // Assert
        Assert.Equal(bytes, batch.Bytes.ToArray());
    }

    [Fact]
    public void An_empty_batch_arrives_empty_and_rents_nothing()
    {
        // Act
        var received = RoundTrip(new BatchBytes(ReadOnlyMemory<byte>.Empty));
        received.Release();

        // Assert
        Assert.True(received.Bytes.IsEmpty);
    }

    [Fact]
    public void A_batch_has_the_wire_format_of_the_byte_memory_appends_carried_before_it_so_old_and_new_clients_and_silos_mix()
    {
        // Arrange: an append's identity is its interface and method aliases ("broker.IPartitionGrain", "Append"), which did
        // not change; its argument was a ReadOnlyMemory<byte> before BatchBytes. These two messages stand for the two
        // versions of the call's arguments, each field encoded by the codec generated code picks for its type.
        var sent = new byte[300];
        Random.Shared.NextBytes(sent);
        var before = _services.GetRequiredService<Serializer<AppendArgumentsBefore>>();
        var now = _services.GetRequiredService<Serializer<AppendArgumentsNow>>();

        // Act
        var fromOldClient = now.Deserialize(before.SerializeToArray(new AppendArgumentsBefore { Batch = sent }));
        var toOldSilo = before.Deserialize(now.SerializeToArray(new AppendArgumentsNow { Batch = new BatchBytes(sent) }));

        // Assert
        Assert.NotNull(fromOldClient?.Batch);
        Assert.NotNull(toOldSilo);
        Assert.Equal(sent, fromOldClient.Batch.Bytes.ToArray());
        Assert.Equal(sent, toOldSilo.Batch.ToArray());
        fromOldClient.Batch.Release();
    }

    public void Dispose() => _services.Dispose();

    private BatchBytes RoundTrip(BatchBytes batch)
    {
        var received = Serializer.Deserialize(Serializer.SerializeToArray(batch));
        Assert.NotNull(received);
        return received;
    }
}

/// <summary>The append's arguments as clients and silos before <see cref="BatchBytes"/> encoded them.</summary>
[GenerateSerializer, Alias("tests.append-arguments.before")]
public sealed class AppendArgumentsBefore
{
    [Id(0)]
    public ReadOnlyMemory<byte> Batch { get; set; }
}

/// <summary>The append's arguments now.</summary>
[GenerateSerializer, Alias("tests.append-arguments.now")]
public sealed class AppendArgumentsNow
{
    [Id(0)]
    public BatchBytes? Batch { get; set; }
}
