using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Reports;

namespace OrleansBroker.Benchmarks;

/// <summary>
/// Holds BenchmarkDotNet's measured allocations against <c>allocation-budgets.json</c>: a benchmark that allocates more
/// per operation than its budget, or that has no budget, fails the check. Run with <c>--check-budgets</c>.
/// </summary>
internal static class AllocationBudgets
{
    public const string Argument = "--check-budgets";

    private const string FileName = "allocation-budgets.json";

    /// <summary>Prints one line per benchmark run and returns the process exit code: 0 when every one is within its budget.</summary>
    public static int Check(IEnumerable<Summary> summaries)
    {
        var budgets = Load(Path.Combine(AppContext.BaseDirectory, FileName));
        var failures = 0;
        var checkedCount = 0;
        foreach (var report in summaries.SelectMany(summary => summary.Reports))
        {
            var name = FullNameProvider.GetBenchmarkName(report.BenchmarkCase);
            var (ok, detail) = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) switch
            {
                null => (false, "no measurement: did the benchmark run?"),
                { } bytes when budgets.TryGetValue(name, out var budget) =>
                    (bytes <= budget, string.Create(CultureInfo.InvariantCulture, $"{bytes} B/op, budget {budget}")),
                { } bytes => (false, string.Create(CultureInfo.InvariantCulture, $"{bytes} B/op, no budget in {FileName}")),
            };

            failures += ok ? 0 : 1;
            checkedCount++;
            Console.WriteLine($"budget {(ok ? "ok" : "FAIL")} ({detail}): {name}");
        }

        Console.WriteLine($"{checkedCount - failures} within budget, {failures} failed");
        return failures == 0 && checkedCount > 0 ? 0 : 1;
    }

    private static Dictionary<string, long> Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("budgets").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
    }
}
