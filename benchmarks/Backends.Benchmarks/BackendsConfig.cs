using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Backends.Benchmarks;

/// <summary>Adds the throughput columns; <c>--quick</c> (see Program) swaps in a short in-process job for smoke runs.</summary>
public sealed class BackendsConfig : ManualConfig
{
    public static bool Quick { get; set; }

    public BackendsConfig()
    {
        AddColumn(new ThroughputColumn(flops: true), new ThroughputColumn(flops: false));
        if (Quick)
        {
            AddJob(Job.Dry.WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(4).WithUnrollFactor(1)
                .WithToolchain(InProcessEmitToolchain.Instance).WithId("quick"));
        }
    }
}
