using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Hosting;
using OrleansBroker.Client.Options;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Options;

namespace OrleansBroker.Grains.Tests.Hosting;

public sealed class HostingTests
{
    [Fact]
    public void Client_options_bind_from_configuration_and_the_client_resolves()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BrokerClient:Producer:Linger"] = "00:00:00.020",
            ["BrokerClient:Producer:BatchBytes"] = "65536",
            ["BrokerClient:Producer:WhenBufferFull"] = "Throw",
            ["BrokerClient:Consumer:GroupId"] = "billing",
            ["BrokerClient:Consumer:AutoOffsetReset"] = "Latest",
        });
        builder.UseOrleansClient(client => client
            .UseLocalhostClustering()
            .AddOrleansBrokerClient(options => options.BindConfiguration(BrokerClientOptions.SectionName))
            .AddOrleansBrokerClient());
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<BrokerClientOptions>>().Value;

        Assert.Equal(TimeSpan.FromMilliseconds(20), options.Producer.Linger);
        Assert.Equal(65536, options.Producer.BatchBytes);
        Assert.Equal(Client.Producing.BufferFullMode.Throw, options.Producer.WhenBufferFull);
        Assert.Equal("billing", options.Consumer.GroupId);
        Assert.Equal(AutoOffsetReset.Latest, options.Consumer.AutoOffsetReset);
        Assert.Same(host.Services.GetRequiredService<BrokerClient>(), host.Services.GetRequiredService<BrokerClient>());

        // Binding must not reach the shared defaults: other consumers of the process would join "billing" at its end.
        Assert.Equal((null, AutoOffsetReset.Earliest), (ConsumerOptions.Default.GroupId, ConsumerOptions.Default.AutoOffsetReset));
        Assert.Equal((TimeSpan.FromMilliseconds(5), Client.Producing.BufferFullMode.Wait), (Client.Producing.ProducerOptions.Default.Linger, Client.Producing.ProducerOptions.Default.WhenBufferFull));
    }

    [Theory]
    [InlineData("MaxFetchWait", "00:01:00")]
    [InlineData("MaxFetchBytes", "10")]
    [InlineData("DataDirectory", " ")]
    [InlineData("RetentionCheckInterval", "00:00:00")]
    [InlineData("PageCacheBytes", "-1")]
    public async Task A_silo_with_out_of_range_broker_options_fails_at_start(string setting, string value)
    {
        var error = await StartFailureAsync(new Dictionary<string, string?> { [$"Broker:{setting}"] = value });

        Assert.Contains($"Broker:{setting}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_with_direct_IO_on_a_data_directory_it_cannot_use_fails_at_start()
    {
        // A directory below a regular file can never be created.
        var file = Path.GetTempFileName();
        try
        {
            var error = await StartFailureAsync(new Dictionary<string, string?>
            {
                ["Broker:DataDirectory"] = Path.Combine(file, "data"),
                ["Broker:DirectIO"] = "true",
            });

            Assert.Contains("Broker:DirectIO cannot be used", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<OptionsValidationException> StartFailureAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort())
            .AddOrleansBroker(options => options.BindConfiguration(BrokerOptions.SectionName)));
        using var host = builder.Build();

        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
