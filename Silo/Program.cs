using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Options;
using OrleansBroker.Silo;

// Settings come from appsettings.json next to the binary, then environment variables (Broker__GatewayPort=30001),
// then the command line (--Broker:GatewayPort 30001). Relative paths (the data directory) are relative to the
// working directory, so `dotnet run --project Silo` from the repository keeps its data in ./data.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

var hosting = builder.Configuration.GetSection(BrokerOptions.SectionName).Get<SiloHostingOptions>() ?? new SiloHostingOptions();
hosting.Validate();
builder.UseOrleans(silo =>
{
    hosting.ConfigureClustering(silo);

    // Before AddOrleansBroker, which keeps a log store and metadata storage that are already registered.
    hosting.ConfigureStorage(silo);
    silo.AddOrleansBroker(options => options.BindConfiguration(BrokerOptions.SectionName));
});

await builder.Build().RunAsync();
