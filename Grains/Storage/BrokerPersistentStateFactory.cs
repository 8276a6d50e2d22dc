using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace OrleansBroker.Grains.Storage;

/// <summary>
/// Orleans' factory of <c>[PersistentState]</c> facets, replaced so that every state on the broker's metadata storage is a
/// <see cref="BrokerPersistentState{TState}"/>: a grain added later is covered without doing anything. States on other
/// storage (a host's own grains in the same silo) stay Orleans' own.
/// </summary>
internal sealed class BrokerPersistentStateFactory : IPersistentStateFactory
{
    private readonly PersistentStateFactory _orleans = new();

    public IPersistentState<TState> Create<TState>(IGrainContext context, IPersistentStateConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(config);
        return config.StorageName == BrokerStorage.MetadataStorageName
            ? new BrokerPersistentState<TState>(
                config.StateName,
                context,
                context.ActivationServices.GetRequiredKeyedService<IGrainStorage>(BrokerStorage.MetadataStorageName))
            : _orleans.Create<TState>(context, config);
    }
}
