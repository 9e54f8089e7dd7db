using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Backends.Benchmarks;

/// <summary>Adds the throughput columns; <c>--quick</c> (see Program) swaps in a short job.</summary>
public sealed class BackendsConfig : ManualConfig
{
    public static bool Quick { get; set; }

    public BackendsConfig()
    {
        AddColumn(new ThroughputColumn(flops: true), new ThroughputColumn(flops: false));
        if (Quick)
        {
            AddJob(Job.ShortRun.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1).WithId("quick"));
        }
    }
}
