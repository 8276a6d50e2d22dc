using BenchmarkDotNet.Running;

// Pick benchmarks on the command line, e.g. `--filter *RecordBatch* --job short`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
