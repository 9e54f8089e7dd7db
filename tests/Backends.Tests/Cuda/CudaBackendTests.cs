using System;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>The CUDA backend's own behaviour: availability without a driver, the emulator's facts, the cuBLAS variant's absence.</summary>
public sealed class CudaBackendTests
{
    [Fact]
    public void Cuda_WithoutADriver_IsUnavailableWithTheNamesTried()
    {
        Backend cuda = TestDevices.Registry.Find("cuda")!;
        if (cuda.IsAvailable)
        {
            Assert.All(cuda.Devices, d => Assert.Equal(DevicePriority.DiscreteGpu, d.Priority));
            return;
        }

        Assert.Contains("libcuda.so.1", cuda.UnavailableReason, StringComparison.Ordinal);
        Assert.Throws<BackendUnavailableException>(() => TestDevices.Registry.Open("cuda:0"));
    }

    [Fact]
    public void Emulator_IsNeverTheDefault_AndHasNoCublas()
    {
        Device d = TestDevices.Get("cuda-emu:0");
        Assert.Equal(DevicePriority.Emulator, d.Info.Priority);
        Assert.NotEqual("cuda-emu:0", TestDevices.Registry.DefaultDevice().Id);
        Assert.Equal(["ours"], d.Variants(OpKind.Gemm));
        var ex = Assert.Throws<ArgumentException>(() => d.GetVariant("cublas"));
        Assert.Contains("cuBLAS", ex.Message, StringComparison.Ordinal);
        Assert.Contains(d.Diagnostics, kv => kv.Key == "cublas");
        Assert.Contains(d.Info.Facts, kv => kv.Key == "warp" && kv.Value == "32");
    }
}
