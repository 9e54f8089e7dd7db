using System.Collections.Generic;
using System.Linq;
using Backends.Cpu;
using Backends.OpenCL;

namespace Backends.Benchmarks;

/// <summary>The devices the suites run on: every available device, or those in BACKENDS_BENCH_DEVICES (comma-separated ids).</summary>
public static class BenchDevices
{
    public static BackendRegistry Registry { get; } = BackendRegistry.CreateDefault();

    public static IEnumerable<string> Ids()
    {
        string? only = System.Environment.GetEnvironmentVariable("BACKENDS_BENCH_DEVICES");
        return string.IsNullOrWhiteSpace(only) ? Registry.Devices.Select(d => d.Id) : only.Split(',').Select(s => s.Trim());
    }
}
