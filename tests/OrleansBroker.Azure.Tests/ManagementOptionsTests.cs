using Microsoft.Extensions.Options;
using OrleansBroker.Silo.Management;

namespace OrleansBroker.Azure.Tests;

public sealed class ManagementOptionsTests
{
    [Theory]
    [InlineData(-1, false, "Broker:ManagementPort")]
    [InlineData(65536, false, "Broker:ManagementPort")]
    [InlineData(0, true, "Broker:Dashboard")]
    public void A_management_port_out_of_range_or_a_dashboard_without_one_is_refused_before_the_silo_starts(int port, bool dashboard, string named)
    {
        var options = new ManagementOptions { ManagementPort = port, Dashboard = dashboard };

        var refused = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_port_a_disabled_port_and_a_dashboard_on_a_port_are_accepted()
    {
        new ManagementOptions().Validate();
        new ManagementOptions { ManagementPort = 0 }.Validate();
        new ManagementOptions { ManagementPort = 9090, Dashboard = true }.Validate();
    }
}
