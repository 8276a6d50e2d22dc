using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansBroker.Client.Options;

namespace OrleansBroker.Client.Hosting;

/// <summary>Registers the broker client on an Orleans client.</summary>
public static class BrokerClientBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="BrokerClient"/> as a singleton over the Orleans client, with
    /// <see cref="BrokerClientOptions"/> from <paramref name="configure"/>. A second call adds nothing.
    /// </summary>
    public static IClientBuilder AddOrleansBrokerClient(this IClientBuilder builder, Action<OptionsBuilder<BrokerClientOptions>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<BrokerClientOptions>();
        configure?.Invoke(options);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(sp => new BrokerClient(
            sp.GetRequiredService<IClusterClient>(),
            sp.GetRequiredService<IOptions<BrokerClientOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
