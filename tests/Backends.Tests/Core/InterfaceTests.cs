using System;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>The pieces of the interface a backend author relies on: events, per-call support, forwarding, registration, diagnostics.</summary>
public sealed class InterfaceTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    [Theory]
    [MemberData(nameof(Devices))]
    public void DisposedEvent_RefusesEveryCall(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        DeviceEvent start = s.Record();
        DeviceEvent end = s.Record();
        Assert.True(end.ElapsedMillisecondsSince(start) >= 0);
        end.Dispose();
        end.Dispose(); // twice is fine
        Assert.True(end.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => end.IsComplete);
        Assert.Throws<ObjectDisposedException>(() => end.Synchronize());
        Assert.Throws<ObjectDisposedException>(() => end.ElapsedSince(start));
        Assert.Throws<ObjectDisposedException>(() => start.ElapsedSince(end));
        Assert.Throws<ObjectDisposedException>(() => s.Wait(end));
        start.Dispose();
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Events_OfAnotherDevice_AreRefused(string device)
    {
        Device d = TestDevices.Get(device);
        using Device other = TestDevices.Registry.Open(device);
        using DeviceStream s = d.CreateStream(), t = other.CreateStream();
        using DeviceEvent mine = s.Record(), theirs = t.Record();
        Assert.Throws<DeviceMismatchException>(() => mine.ElapsedSince(theirs));
        Assert.Throws<DeviceMismatchException>(() => s.Wait(theirs));
    }

    [Fact]
    public void CreateDefault_RegistersEveryBackendOfTheBuild()
    {
        BackendRegistry r = BackendRegistry.CreateDefault();
        Assert.Equal(["cpu", "opencl", "cuda", "cuda-emu", "cann"], r.Backends.Select(b => b.Name));
        Assert.Contains(TestDevices.Ids, id => id == "cpu:0");
    }

    [Fact]
    public void DefaultDevice_FollowsThePriorityScale()
    {
        Assert.True(DevicePriority.DiscreteGpu > DevicePriority.IntegratedGpu);
        Assert.True(DevicePriority.IntegratedGpu > DevicePriority.CpuDevice);
        Assert.True(DevicePriority.CpuDevice > DevicePriority.CpuBackend);
        Assert.True(DevicePriority.CpuBackend > DevicePriority.Emulator);
        BackendRegistry r = BackendRegistry.CreateDefault();
        DeviceInfo best = r.DefaultDevice();
        Assert.Equal(r.Devices.Max(d => d.Priority), best.Priority);
        Assert.Equal(DevicePriority.CpuBackend, r.GetInfo("cpu:0").Priority);
        if (TestDevices.WhyMissing("opencl:0") is null && r.GetInfo("opencl:0").Kind == DeviceKind.Cpu)
        {
            Assert.Equal(DevicePriority.CpuDevice, r.GetInfo("opencl:0").Priority);
            Assert.NotEqual("cpu:0", best.Id); // a CPU OpenCL device comes before the CPU backend
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Diagnostics_AreNamedValues(string device)
    {
        Device d = TestDevices.Get(device);
        Assert.NotEmpty(d.Diagnostics);
        Assert.All(d.Diagnostics, kv => Assert.False(string.IsNullOrWhiteSpace(kv.Key)));
        if (d.BackendName == "opencl")
        {
            Assert.Contains(d.Diagnostics, kv => kv.Key == "programs");
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void SupportsPerCall_AnswersForResolvedArgs(string device)
    {
        Device d = TestDevices.Get(device);
        TensorView x = d.Allocate(DType.F32, 4, 16), y = d.Allocate(DType.F32, 4, 8), ids = d.Allocate(DType.I32, 4, 2);
        Assert.True(d.Kernels.Supports(new UnaryArgs(x.Columns(0, 8), y, 32)));
        Assert.True(d.Kernels.Supports(new UnaryArgs(x, x, 64)));
        Assert.False(d.Kernels.Supports(new UnpermuteArgs(x.Columns(0, 8), ids, d.Allocate(DType.F32, 4, 2), y, 4, 8, 2, 4)));
    }

    [Fact]
    public void Forward_ToAnotherDevicesKernels_IsRefused()
    {
        Device cpu = TestDevices.Get("cpu:0");
        using Device other = TestDevices.Registry.Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView x = cpu.Allocate(DType.F32, 8), y = cpu.Allocate(DType.F32, 8);
        var probe = new ForwardProbe(cpu, (KernelSet)other.Kernels);
        Assert.Throws<DeviceMismatchException>(() => probe.Silu(s, x, y));
        var same = new ForwardProbe(cpu, (KernelSet)cpu.Kernels);
        s.Write<float>(x, [0, 1, 2, 3, -1, -2, 5, 8]);
        same.Silu(s, x, y);
        Assert.Equal(1 / (1 + MathF.Exp(-1)), s.Read<float>(y)[1], 5);
    }

    /// <summary>A wrapper variant that hands every Silu to another op set without validating again.</summary>
    private sealed class ForwardProbe(Device device, KernelSet target) : KernelSet(device, "probe")
    {
        protected override void SiluCore(DeviceStream stream, UnaryArgs args) => Forward(target, stream, args);
    }
}
