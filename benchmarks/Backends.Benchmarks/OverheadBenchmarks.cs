using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace Backends.Benchmarks;

/// <summary>Host-side costs per backend: launching a tiny op, allocating, small copies, an event round trip.</summary>
[Config(typeof(BackendsConfig))]
public class OverheadBenchmarks
{
    private readonly float[] _host = new float[1024];
    private Device? _device;
    private DeviceStream? _stream;
    private TensorView? _a;
    private TensorView? _b;
    private TensorView? _y;

    public static IEnumerable<string> Devices() => BenchDevices.Ids();

    [ParamsSource(nameof(Devices))]
    public string DeviceId { get; set; } = "cpu:0";

    [GlobalSetup]
    public void Setup()
    {
        _device = BenchDevices.Registry.Open(DeviceId);
        _stream = _device.CreateStream();
        _a = _device.Allocate(DType.F32, 1024);
        _b = _device.Allocate(DType.F32, 1024);
        _y = _device.Allocate(DType.F32, 1024);
        _stream.Fill(_a, 1f);
        _stream.Fill(_b, 2f);
        _device.Kernels.Add(_stream, _a.Slice(0, 16), _b.Slice(0, 16), _y.Slice(0, 16));
        _stream.Synchronize();
    }

    /// <summary>Queue a 16-element add and wait for it: the floor under every op.</summary>
    [Benchmark]
    public void TinyOpLaunchAndWait()
    {
        _device!.Kernels.Add(_stream!, _a!.Slice(0, 16), _b!.Slice(0, 16), _y!.Slice(0, 16));
        _stream!.Synchronize();
    }

    /// <summary>Allocate and free 1 MiB.</summary>
    [Benchmark]
    public void Allocate1MiB() => _device!.AllocateBuffer(DType.F32, 256 * 1024).Dispose();

    /// <summary>Write 4 KiB and wait.</summary>
    [Benchmark]
    public void Write4KiB()
    {
        _stream!.Write<float>(_a!, _host);
        _stream.Synchronize();
    }

    /// <summary>Read 4 KiB (waits by definition).</summary>
    [Benchmark]
    public void Read4KiB() => _stream!.Read<float>(_y!, _host);

    /// <summary>Record an event and wait for it on an idle stream.</summary>
    [Benchmark]
    public void EventRoundTrip()
    {
        using DeviceEvent e = _stream!.Record();
        e.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stream?.Dispose();
        _device?.Dispose();
    }
}
