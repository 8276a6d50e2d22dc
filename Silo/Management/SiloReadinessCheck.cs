using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansBroker.Silo.Management;

/// <summary>
/// Ready once the host has started (the gateway accepts clients) and while the silo is Active in the cluster's
/// membership: not while it joins, shuts down or after it was declared dead.
/// </summary>
internal sealed class SiloReadinessCheck(ISiloStatusOracle siloStatus, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = siloStatus.CurrentStatus;
        var result = !lifetime.ApplicationStarted.IsCancellationRequested ? HealthCheckResult.Unhealthy($"The silo is starting ({status}).")
            : status == SiloStatus.Active ? HealthCheckResult.Healthy("The silo is active.")
            : HealthCheckResult.Unhealthy($"The silo is {status}.");
        return Task.FromResult(result);
    }
}
