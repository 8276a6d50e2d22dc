using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Options;
using OrleansBroker.Silo;
using OrleansBroker.Silo.Management;

// Settings come from appsettings.json next to the binary, then environment variables (Broker__GatewayPort=30001),
// then the command line (--Broker:GatewayPort 30001). Relative paths (the data directory) are relative to the
// working directory, so `dotnet run --project Silo` from the repository keeps its data in ./data.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

var broker = builder.Configuration.GetSection(BrokerOptions.SectionName);
var hosting = broker.Get<SiloHostingOptions>() ?? new SiloHostingOptions();
var management = broker.Get<ManagementOptions>() ?? new ManagementOptions();
hosting.Validate();
management.Validate();
builder.UseOrleans(silo =>
{
    hosting.ConfigureClustering(silo);

    // Before AddOrleansBroker, which keeps a log store and metadata storage that are already registered.
    hosting.ConfigureStorage(silo);
    silo.AddOrleansBroker(options => options.BindConfiguration(BrokerOptions.SectionName));
    management.ConfigureSilo(silo);
});
management.ConfigureHost(builder, anyAddress: hosting.Clustering != ClusteringMode.Localhost);

var app = builder.Build();
management.MapEndpoints(app);
await app.RunAsync();
