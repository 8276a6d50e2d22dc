using System.Globalization;
using OrleansBroker.Grains;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// The CPU time the bench's process and the silo use during a timed phase, per record (<c>client_cpu_us</c>,
/// <c>silo_cpu_us</c>): where client and silo share a machine's cores, their sum bounds the throughput. The silo's
/// figure comes from the process of the silo that hosts a diagnostics grain (<see cref="IBenchSinkGrain"/>), so it is
/// reported only when the cluster has one silo.
/// </summary>
internal sealed class CpuMeter
{
    private readonly IBenchSinkGrain? _silo;
    private readonly TimeSpan _clientStart;
    private readonly TimeSpan _siloStart;

    private CpuMeter(IBenchSinkGrain? silo, TimeSpan clientStart, TimeSpan siloStart) =>
        (_silo, _clientStart, _siloStart) = (silo, clientStart, siloStart);

    public static async Task<CpuMeter> StartAsync(IGrainFactory grains)
    {
        var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var silo = silos.Count == 1 ? grains.GetGrain<IBenchSinkGrain>(Guid.NewGuid()) : null;
        var siloStart = silo is null ? TimeSpan.Zero : await silo.GetProcessCpuTimeAsync();
        return new CpuMeter(silo, Environment.CpuUsage.TotalTime, siloStart);
    }

    /// <summary>The <c>key=value</c> fields of the CPU used since the start, per record of <paramref name="records"/>.</summary>
    public async Task<string> StopAsync(long records)
    {
        var client = Environment.CpuUsage.TotalTime - _clientStart;
        var fields = string.Create(CultureInfo.InvariantCulture, $"client_cpu_us={PerRecord(client, records):F3}");
        if (_silo is not null)
        {
            var silo = await _silo.GetProcessCpuTimeAsync() - _siloStart;
            fields += string.Create(CultureInfo.InvariantCulture, $" silo_cpu_us={PerRecord(silo, records):F3}");
        }

        return fields;
    }

    private static double PerRecord(TimeSpan cpu, long records) => cpu.TotalMicroseconds / Math.Max(records, 1);
}
