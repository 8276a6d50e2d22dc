using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using OrleansBroker.Grains.Diagnostics;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.Storage;
using OrleansBroker.Storage;

namespace OrleansBroker.Grains.Hosting;

/// <summary>Registers the broker on an Orleans silo.</summary>
public static class BrokerSiloBuilderExtensions
{
    /// <summary>
    /// Adds the broker's grains' services: options (validated at start), the File log store under
    /// <c>{DataDirectory}/logs</c> and, unless a provider named <see cref="BrokerStorage.MetadataStorageName"/>
    /// is already registered, the durable file grain storage under <c>{DataDirectory}/metadata</c>. Grain states on that
    /// provider fail only with the retriable <see cref="StorageErrorException"/> (see <see cref="BrokerPersistentState{TState}"/>).
    /// A second call adds nothing.
    /// </summary>
    public static ISiloBuilder AddOrleansBroker(this ISiloBuilder builder, Action<OptionsBuilder<BrokerOptions>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<BrokerOptions>();
        configure?.Invoke(options);
        if (services.Any(d => d.ServiceType == typeof(BrokerMarker)))
        {
            return builder;
        }

        services.AddSingleton<BrokerMarker>();
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<BrokerInstruments>();
        services.TryAddSingleton<ILogStore>(sp =>
        {
            var broker = sp.GetRequiredService<IOptions<BrokerOptions>>().Value;
            return new FileLogStore(
                new FileLogStoreOptions { DataDirectory = broker.LogDirectory, DirectIO = broker.DirectIO, PageCacheBytes = broker.PageCacheBytes },
                sp.GetRequiredService<TimeProvider>());
        });

        // Replaces the factory Orleans registered when the silo builder was made; it still serves other storage names.
        services.Replace(ServiceDescriptor.Singleton<IPersistentStateFactory, BrokerPersistentStateFactory>());

        if (!services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, BrokerStorage.MetadataStorageName) && d.ServiceType == typeof(IGrainStorage)))
        {
            builder.AddFileGrainStorage(BrokerStorage.MetadataStorageName, _ => { });
            services.AddOptions<FileGrainStorageOptions>(BrokerStorage.MetadataStorageName)
                .Configure<IOptions<BrokerOptions>>((storage, broker) => storage.RootDirectory = Path.Combine(broker.Value.DataDirectory, "metadata"));
        }

        return builder;
    }

    /// <summary>Marks the services as holding the broker, so a second <c>AddOrleansBroker</c> adds nothing.</summary>
    private sealed class BrokerMarker;
}
