using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>CPU-only behaviour: custom kernels and stream faults.</summary>
public sealed class CpuDeviceTests
{
    private static CpuDevice Cpu => (CpuDevice)TestDevices.Get("cpu:0");

    [Fact]
    public void CustomKernel_RunsInStreamOrder()
    {
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.I32, 8);
        using DeviceBuffer b = v.Buffer;
        s.Fill(v, 3);
        Cpu.Launch(s, ctx =>
        {
            Span<int> span = ctx.Span<int>(v);
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (span[i] * 10) + i;
            }
        }, v);
        Assert.Equal([30, 31, 32, 33, 34, 35, 36, 37], s.Read<int>(v));
    }

    [Fact]
    public void CustomKernel_UndeclaredView_FaultsStream()
    {
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.F32, 4), other = Cpu.Allocate(DType.F32, 4);
        using DeviceBuffer b = v.Buffer, ob = other.Buffer;
        Cpu.Launch(s, ctx => ctx.Span<float>(other).Clear(), v);
        StreamFaultedException ex = Assert.Throws<StreamFaultedException>(() => s.Synchronize());
        Assert.Contains("not declared", ex.Message, StringComparison.Ordinal);

        // Sticky: the stream stays faulted, later work is skipped.
        s.Fill(v, 1f);
        Assert.Throws<StreamFaultedException>(() => s.Synchronize());
    }

    [Fact]
    public void Launch_ForeignView_Throws()
    {
        using Device other = TestDevices.Registry.Open("cpu:0");
        TensorView v = other.Allocate(DType.F32, 4);
        using DeviceStream s = Cpu.CreateStream();
        Assert.Throws<DeviceMismatchException>(() => Cpu.Launch(s, _ => { }, v));
    }

    [Fact]
    public void Info_ReportsSimdAndCores()
    {
        Assert.True(Cpu.Info.SimdWidthBits >= 128);
        Assert.Equal(Environment.ProcessorCount, Cpu.Info.ComputeUnits);
        Assert.Contains(Cpu.Info.Facts, f => f.Key == "simd");
    }
}
