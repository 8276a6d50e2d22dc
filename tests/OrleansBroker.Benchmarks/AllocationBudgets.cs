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
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
            string verdict;
            if (allocated is not { } bytes)
            {
                verdict = "FAIL (no measurement: did the benchmark run?)";
            }
            else if (!budgets.TryGetValue(name, out var budget))
            {
                verdict = string.Create(CultureInfo.InvariantCulture, $"FAIL ({bytes} B/op, no budget in {FileName})");
            }
            else
            {
                verdict = string.Create(CultureInfo.InvariantCulture, $"{(bytes <= budget ? "ok" : "FAIL")} ({bytes} B/op, budget {budget})");
            }

            failures += verdict.StartsWith("FAIL", StringComparison.Ordinal) ? 1 : 0;
            checkedCount++;
            Console.WriteLine($"budget {verdict}: {name}");
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
