using BenchmarkDotNet.Attributes;
using Backends.Conformance;

namespace Backends.Benchmarks;

/// <summary>
/// One op at its catalog default shape on one device: checked against the float64 reference in setup (a wrong kernel is
/// never timed), then each benchmark invocation is one launch waited for. Families derive and name their ops.
/// </summary>
[Config(typeof(BackendsConfig))]
public abstract class OpBenchmarkBase
{
    private Device? _device;
    private DeviceStream? _stream;
    private OpRun? _run;

    /// <summary>The device id (a parameter).</summary>
    public abstract string DeviceId { get; set; }

    /// <summary>The op name (a parameter).</summary>
    public abstract string Op { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Registry.Open(DeviceId);
        _stream = _device.CreateStream();
        OpSpec spec = OpCatalog.Get(Op);
        OpCase c = spec.CreateCase(spec.DefaultShape, spec.DTypes[0], seed: 42);
        _run = c.Prepare(_device, _stream);
        _run.Launch(_stream);
        CheckResult check = _run.Verify(_stream);
        if (!check.Passed)
        {
            throw new System.InvalidOperationException($"{DeviceId} {Op} is wrong, not benchmarking it: {check.Detail}");
        }

        Throughput.Record(DeviceId, Op, c.Flops, c.BytesMoved);
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
