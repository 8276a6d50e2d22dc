using BenchmarkDotNet.Running;
using OrleansBroker.Benchmarks;

// Pick benchmarks on the command line, e.g. `--filter *RecordBatch* --job short`. With --check-budgets first, the runs'
// allocations are held against allocation-budgets.json and the exit code says whether every one is within its budget.
var switcher = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly);
if (args is [AllocationBudgets.Argument, .. var rest])
{
    return AllocationBudgets.Check(switcher.Run(rest));
}

switcher.Run(args);
return 0;
