using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Client.Options;

/// <summary>Defaults for the producers and consumers a <see cref="BrokerClient"/> creates, bound from the <c>BrokerClient</c> section.</summary>
public sealed class BrokerClientOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "BrokerClient";

    /// <summary>Options of producers created without their own. Default: <see cref="ProducerOptions.Default"/>.</summary>
    public ProducerOptions Producer { get; set; } = ProducerOptions.Default;

    /// <summary>Options of consumers created without their own. Default: <see cref="ConsumerOptions.Default"/>.</summary>
    public ConsumerOptions Consumer { get; set; } = ConsumerOptions.Default;
}
