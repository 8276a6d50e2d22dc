using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Dashboard;
using OrleansBroker.Grains.Diagnostics;

namespace OrleansBroker.Silo.Management;

/// <summary>
/// The silo's HTTP management port, from the <c>Broker</c> section: liveness and readiness for orchestrators, metrics
/// for Prometheus and, when asked for, the Orleans Dashboard.
/// </summary>
internal sealed class ManagementOptions
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";
    public const string DashboardPath = "/dashboard";

    /// <summary>The meter of Orleans' own instruments (messaging, activations, membership).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    private const string ReadyTag = "ready";
    private const string ServiceName = "orleans-broker";

    /// <summary>The HTTP port of /health/live, /health/ready, /metrics and /dashboard; 0 runs no HTTP server. Default: 8080.</summary>
    public int ManagementPort { get; set; } = 8080;

    /// <summary>Serve the Orleans Dashboard under /dashboard on the management port; it times every grain call, so it costs some throughput. Default: false.</summary>
    public bool Dashboard { get; set; }

    /// <summary>Throws when the settings cannot work, before the silo starts.</summary>
    public void Validate()
    {
        var failures = new List<string>();
        if (ManagementPort is < 0 or > 65535)
        {
            failures.Add($"Broker:ManagementPort {ManagementPort} is not a port (0 turns the management endpoints off).");
        }

        if (Dashboard && ManagementPort == 0)
        {
            failures.Add("Broker:Dashboard needs Broker:ManagementPort, which is 0.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("Broker", typeof(ManagementOptions), failures);
        }
    }

    public void ConfigureSilo(ISiloBuilder silo)
    {
        if (Dashboard)
        {
            silo.AddDashboard();
        }
    }

    /// <summary>
    /// Listens on the management port (on loopback only when <paramref name="anyAddress"/> is false, as a localhost
    /// cluster does) with health checks and a Prometheus exporter of the broker's and Orleans' meters.
    /// </summary>
    public void ConfigureHost(WebApplicationBuilder builder, bool anyAddress)
    {
        if (ManagementPort == 0)
        {
            builder.WebHost.UseServer(new NoHttpServer());
            return;
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (anyAddress)
            {
                kestrel.ListenAnyIP(ManagementPort);
            }
            else
            {
                kestrel.ListenLocalhost(ManagementPort);
            }
        });
        builder.Services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: [ReadyTag]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddMeter(BrokerInstruments.MeterName, OrleansMeterName)
                .AddPrometheusExporter());
    }

    public void MapEndpoints(WebApplication app)
    {
        if (ManagementPort == 0)
        {
            return;
        }

        // Liveness runs no check: answering is the proof of life, and the silo's state is readiness's business.
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        if (Dashboard)
        {
            app.MapOrleansDashboard(DashboardPath);
        }
    }
}
