using Orleans.Core;
using Orleans.Storage;

namespace OrleansBroker.Grains.Storage;

/// <summary>
/// A grain state on the broker's metadata storage whose reads, writes and clears fail only with the broker's retriable
/// <see cref="StorageErrorException"/>. A storage provider throws its own exceptions (an Azure Table ETag conflict, an
/// Azure SDK <c>RequestFailedException</c>, an <see cref="IOException"/> of the file provider, Orleans'
/// <see cref="InconsistentStateException"/>), from assemblies clients do not load: passed on as they are, they reach a
/// client as an undecodable type instead of an error it can retry. <see cref="BrokerPersistentStateFactory"/> gives every
/// broker grain this state, so no grain converts on its own.
/// </summary>
/// <remarks>
/// <para>A failed write or clear also deactivates the activation: its state in memory is ahead of storage, and whether
/// the write landed is unknown (so its ETag may be stale). Calls waiting for it are forwarded to a new activation, which
/// reads the state again, so a retry neither trusts what was never stored nor loses a race against a stale ETag. A read
/// failing as the grain activates fails the activation, whose callers get the StorageError. A write failing inside
/// <c>OnActivateAsync</c> cancels it instead: Orleans forwards the waiting calls to a new activation, at most twice, then
/// rejects them with its own retriable <see cref="OrleansMessageRejectionException"/>.</para>
/// <para>Exceptions the call itself throws before reaching storage (a call from outside the grain's turn) are the
/// caller's mistake and pass unchanged. Grain migration hands no state over: the new activation reads it from storage.</para>
/// </remarks>
internal sealed class BrokerPersistentState<TState> : IPersistentState<TState>, ILifecycleObserver
{
    private readonly StateStorageBridge<TState> _storage;
    private readonly IGrainContext _context;
    private readonly string _name;

    public BrokerPersistentState(string name, IGrainContext context, IGrainStorage storage)
    {
        _storage = new StateStorageBridge<TState>(name, context, storage);
        _context = context;
        _name = name;

        // Reads the state before the grain activates, as Orleans' own persistent state does.
        context.ObservableLifecycle.Subscribe($"{nameof(BrokerPersistentState<TState>)}.{name}", GrainLifecycleStage.SetupState, this);
    }

    public TState State
    {
        get => _storage.State;
        set => _storage.State = value;
    }

    public string? Etag => _storage.Etag;

    public bool RecordExists => _storage.RecordExists;

    public Task ReadStateAsync() => ReadStateAsync(CancellationToken.None);

    public Task ReadStateAsync(CancellationToken cancellationToken) =>
        GuardAsync(((IStorage)_storage).ReadStateAsync(cancellationToken), "Reading", staleOnFailure: false, cancellationToken);

    public Task WriteStateAsync() => WriteStateAsync(CancellationToken.None);

    public Task WriteStateAsync(CancellationToken cancellationToken) =>
        GuardAsync(((IStorage)_storage).WriteStateAsync(cancellationToken), "Storing", staleOnFailure: true, cancellationToken);

    public Task ClearStateAsync() => ClearStateAsync(CancellationToken.None);

    public Task ClearStateAsync(CancellationToken cancellationToken) =>
        GuardAsync(((IStorage)_storage).ClearStateAsync(cancellationToken), "Clearing", staleOnFailure: true, cancellationToken);

    Task ILifecycleObserver.OnStart(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);

    Task ILifecycleObserver.OnStop(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task GuardAsync(Task operation, string doing, bool staleOnFailure, CancellationToken cancellationToken)
    {
        try
        {
            await operation;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            // Orleans has logged the provider's exception in full; the message carries its type and text, never the
            // exception itself, which is what clients could not decode.
            var cause = exception is { InnerException: { } inner } && exception.GetType() == typeof(OrleansException) ? inner : exception;
            var error = new StorageErrorException($"{doing} the state '{_name}' of {_context.GrainId} failed ({cause.GetType().Name}: {cause.Message}); retry.");
            if (staleOnFailure)
            {
                _context.Deactivate(
                    new DeactivationReason(DeactivationReasonCode.ApplicationError, $"{error.Message} The next activation reads the state again."),
                    CancellationToken.None);
            }

            throw error;
        }
    }
}
