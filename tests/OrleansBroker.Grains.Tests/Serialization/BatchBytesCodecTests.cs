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

    public void Dispose() => _services.Dispose();

    private BatchBytes RoundTrip(BatchBytes batch)
    {
        var received = Serializer.Deserialize(Serializer.SerializeToArray(batch));
        Assert.NotNull(received);
        return received;
    }
}
