using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Horodate.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
