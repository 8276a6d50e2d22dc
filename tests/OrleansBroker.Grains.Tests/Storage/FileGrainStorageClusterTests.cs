using Orleans.TestingHost;
using OrleansBroker.Grains.Hosting;

namespace OrleansBroker.Grains.Tests.Storage;

public sealed class FileGrainStorageClusterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("filestore-cluster-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task State_survives_killing_the_silo_that_held_the_grain_and_is_read_on_the_other_silo()
    {
        var builder = new InProcessTestClusterBuilder(2);
        var root = _root;
        builder.ConfigureSilo((_, silo) => silo.AddFileGrainStorage("files", options => options.RootDirectory = root));
        await using var cluster = builder.Build();
        await cluster.DeployAsync(TestContext.Current.CancellationToken);
        var grain = cluster.Client.GetGrain<IFileStateGrain>("orders/3");
        await grain.SetAsync("orders", 3);
        var firstHost = await grain.GetSiloAsync();

        await cluster.KillSiloAsync(Assert.Single(cluster.Silos, s => s.SiloAddress.Equals(firstHost)), TestContext.Current.CancellationToken);
        var state = await grain.GetAsync();
        var secondHost = await grain.GetSiloAsync();

        Assert.NotEqual(firstHost, secondHost);
        Assert.Equal("orders", state.Name);
        Assert.Equal(3, state.Count);
    }
}

[Alias("tests.file-storage.IFileStateGrain")]
public interface IFileStateGrain : IGrainWithStringKey
{
    [Alias("set")]
    Task SetAsync(string name, int count);

    [Alias("get")]
    Task<CounterState> GetAsync();

    [Alias("silo")]
    Task<SiloAddress> GetSiloAsync();
}

public sealed class FileStateGrain(
    [PersistentState("s", "files")] IPersistentState<CounterState> state,
    ILocalSiloDetails silo) : Grain, IFileStateGrain
{
    public Task SetAsync(string name, int count)
    {
        state.State = new CounterState { Name = name, Count = count };
        return state.WriteStateAsync();
    }

    public Task<CounterState> GetAsync() => Task.FromResult(state.State);

    public Task<SiloAddress> GetSiloAsync() => Task.FromResult(silo.SiloAddress);
}
