using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Storage;

namespace OrleansBroker.Grains.Tests.Storage;

public sealed class FileGrainStorageRegistrationTests
{
    [Fact]
    public void Startup_validation_fails_when_the_root_directory_is_missing()
    {
        using var services = Services(_ => { });

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("RootDirectory", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_validation_fails_when_the_lock_timeout_is_not_positive()
    {
        using var services = Services(o =>
        {
            o.RootDirectory = "data";
            o.LockTimeout = TimeSpan.Zero;
        });

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("LockTimeout", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_provider_resolves_by_name_with_the_default_serializer()
    {
        using var services = Services(o => o.RootDirectory = "data");

        services.GetRequiredService<IStartupValidator>().Validate();
        var storage = services.GetRequiredKeyedService<IGrainStorage>("files");

        Assert.IsType<FileGrainStorage>(storage);
    }

    private static ServiceProvider Services(Action<Options.FileGrainStorageOptions> configure) =>
        new ServiceCollection()
            .AddLogging()
            .AddSerializer()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IGrainStorageSerializer>(sp => new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>()))
            .AddFileGrainStorage("files", configure)
            .BuildServiceProvider();
}
