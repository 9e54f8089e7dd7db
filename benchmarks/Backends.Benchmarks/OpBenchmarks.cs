using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace Backends.Benchmarks;

/// <summary>Every op of the catalog at its default shape, on every available device: one launch, waited for.</summary>
[Config(typeof(BackendsConfig))]
public class OpBenchmarks
{
    private Device? _device;
    private DeviceStream? _stream;
    private OpRun? _run;

    public static IEnumerable<string> DeviceIds() => BenchDevices.Ids();

    public static IEnumerable<string> OpNames() => OpCatalog.All.Select(s => s.Name);

    [ParamsSource(nameof(DeviceIds))]
    public string Device { get; set; } = "cpu:0";

    [ParamsSource(nameof(OpNames))]
    public string Op { get; set; } = "gemm";

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Registry.Open(Device);
        _stream = _device.CreateStream();
        OpSpec spec = OpCatalog.Get(Op);
        OpCase c = spec.CreateCase(spec.DefaultShape, spec.DTypes[0], seed: 42);
        _run = c.Prepare(_device, _stream);
        _run.Launch(_stream);
        CheckResult check = _run.Verify(_stream);
        if (!check.Passed)
        {
            throw new System.InvalidOperationException($"{Device} {Op} is wrong, not benchmarking it: {check.Detail}");
        }

        Throughput.Record(this, c.Flops, c.BytesMoved);
    }

    [Benchmark]
    public void Launch()
    {
        _run!.Launch(_stream!);
        _stream!.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _run?.Dispose();
        _stream?.Dispose();
        _device?.Dispose();
    }
}
