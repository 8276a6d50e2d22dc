using Microsoft.Extensions.Options;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Options;
using OrleansBroker.Client.Producing;
using OrleansBroker.Client.Queues;

namespace OrleansBroker.Client;

/// <summary>
/// The entry point of the typed client: producers, consumers and admin over an Orleans cluster client.
/// Register it with <c>AddOrleansBrokerClient</c>, or create it over any <see cref="IGrainFactory"/>.
/// </summary>
public sealed class BrokerClient
{
    private readonly IGrainFactory _grainFactory;
    private readonly TopicMetadataCache _metadata;
    private readonly BrokerClientOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a client over a cluster client (or a grain factory inside a silo).</summary>
    public BrokerClient(IGrainFactory grainFactory, IOptions<BrokerClientOptions>? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(grainFactory);
        _grainFactory = grainFactory;
        _metadata = new TopicMetadataCache(grainFactory);
        _options = options?.Value ?? new BrokerClientOptions();
        // The system clock's timers fire on the kernel tick; the precise provider reads the same clock (see its remarks).
        _timeProvider = timeProvider is null || timeProvider == TimeProvider.System ? PreciseTimeProvider.Instance : timeProvider;
        Admin = new BrokerAdmin(grainFactory, _metadata);
    }

    /// <summary>Topic administration.</summary>
    public BrokerAdmin Admin { get; }

    /// <summary>Creates a producer; dispose it to flush and stop it.</summary>
    public Producer CreateProducer(ProducerOptions? options = null) =>
        new(_grainFactory, _metadata, options ?? _options.Producer, _timeProvider);

    /// <summary>Creates a consumer; assign partitions, then read <see cref="Consumer.ConsumeAsync"/>.</summary>
    public Consumer CreateConsumer(ConsumerOptions? options = null) =>
        new(_grainFactory, _metadata, options ?? _options.Consumer, _timeProvider);

    /// <summary>Creates a member of queue group <paramref name="group"/> on <paramref name="topic"/>; read <see cref="QueueConsumer.ConsumeAsync"/>.</summary>
    /// <exception cref="InvalidRequestException">The group name breaks the topic-name rule.</exception>
    /// <exception cref="InvalidTopicNameException">The topic name breaks Kafka's rule.</exception>
    public QueueConsumer CreateQueueConsumer(string group, string topic, QueueConsumerOptions? options = null) =>
        new(_grainFactory, _metadata, group, topic, options ?? QueueConsumerOptions.Default, _timeProvider);
}
