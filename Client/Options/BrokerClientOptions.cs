using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Client.Options;

/// <summary>Defaults for the producers and consumers a <see cref="BrokerClient"/> creates, bound from the <c>BrokerClient</c> section.</summary>
public sealed class BrokerClientOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "BrokerClient";

    // Fresh instances, never the shared Default ones: the configuration binder writes into the instance it finds, even
    // through init-only setters, and would change the defaults of every producer and consumer in the process.

    /// <summary>Options of producers created without their own. Default: the values of <see cref="ProducerOptions.Default"/>.</summary>
    public ProducerOptions Producer { get; set; } = new();

    /// <summary>Options of consumers created without their own. Default: the values of <see cref="ConsumerOptions.Default"/>.</summary>
    public ConsumerOptions Consumer { get; set; } = new();
}
