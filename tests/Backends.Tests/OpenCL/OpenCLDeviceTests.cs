using System;
using System.IO;
using Backends.OpenCL;
using Xunit;

namespace Backends.Tests;

/// <summary>OpenCL-only behaviour: user programs, build failures, the on-disk program cache, device facts.</summary>
[Collection("cache-dir")]
public sealed class OpenCLDeviceTests
{
    private const string ScaleSource = """
        __kernel void scale(__global float* x, const long off, const int n, const float s)
        {
            int i = get_global_id(0);
            if (i < n) x[off + i] *= s;
        }
        """;

    private static OpenCLDevice Device => (OpenCLDevice)TestDevices.Get("opencl:0");

    [Fact]
    public void CustomKernel_RunsOnAStream()
    {
        OpenCLDevice d = Device;
        using DeviceStream s = d.CreateStream();
        TensorView buf = d.Allocate(DType.F32, 10);
        using DeviceBuffer b = buf.Buffer;
        s.Write<float>(buf, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        TensorView tail = buf.Slice(4, 6);
        using OpenCLProgram program = d.BuildProgram(ScaleSource);
        using OpenCLKernel k = program.CreateKernel("scale");
        k.SetBuffer(0, tail.Buffer).SetArg(1, tail.Offset).SetArg(2, (int)tail.ElementCount).SetArg(3, 10f);
        k.Launch(s, [8], [8]);
        Assert.Equal([0, 1, 2, 3, 40, 50, 60, 70, 80, 90], s.Read<float>(buf));
    }

    [Fact]
    public void BuildFailure_CarriesTheLogAndOptions()
    {
        OpenCLException ex = Assert.Throws<OpenCLException>(() => Device.BuildProgram("__kernel void broken(__global float* x) { x[0] = undefined_name; }", "-DMARKER=1"));
        Assert.Equal("CL_BUILD_PROGRAM_FAILURE", ex.NativeErrorName);
        Assert.Contains("undefined_name", ex.NativeMessage, StringComparison.Ordinal);
        Assert.Contains("-DMARKER=1", ex.NativeMessage, StringComparison.Ordinal);
        Assert.Equal("opencl", ex.Backend);
    }

    [Fact]
    public void UnknownKernelName_Throws()
    {
        using OpenCLProgram program = Device.BuildProgram(ScaleSource);
        OpenCLException ex = Assert.Throws<OpenCLException>(() => program.CreateKernel("nope"));
        Assert.Equal("CL_INVALID_KERNEL_NAME", ex.NativeErrorName);
    }

    [Fact]
    public void Launch_MissingArgument_IsRefusedBeforeEnqueue()
    {
        using OpenCLProgram program = Device.BuildProgram(ScaleSource);
        using OpenCLKernel k = program.CreateKernel("scale");
        using DeviceStream s = Device.CreateStream();
        TensorView v = Device.Allocate(DType.F32, 4);
        using DeviceBuffer b = v.Buffer;
        k.SetBuffer(0, v.Buffer).SetArg(2, 4).SetArg(3, 1f);
        Assert.Throws<ArgumentException>(() => k.Launch(s, [4]));
    }

    [Fact]
    public void ProgramCache_SecondDeviceObject_LoadsFromDisk()
    {
        TestDevices.Get("opencl:0");
        string dir = Path.Combine(Path.GetTempPath(), "backends-cache-test-" + Guid.NewGuid().ToString("N"));
        string source = ScaleSource + $"\n// {Guid.NewGuid()}\n"; // a program no earlier run has cached
        string? old = Environment.GetEnvironmentVariable("BACKENDS_CACHE_DIR");
        try
        {
            Environment.SetEnvironmentVariable("BACKENDS_CACHE_DIR", dir);
            using (var first = (OpenCLDevice)TestDevices.Registry.Open("opencl:0"))
            {
                first.BuildProgram(source).Dispose();
                Assert.Equal(1, first.ProgramsBuilt);
                Assert.Equal(0, first.ProgramsLoadedFromCache);
                Assert.StartsWith(dir, first.ProgramCacheDirectory, StringComparison.Ordinal);
            }

            Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "opencl"), "*.bin"));
            using var second = (OpenCLDevice)TestDevices.Registry.Open("opencl:0");
            using OpenCLProgram p = second.BuildProgram(source);
            Assert.Equal(0, second.ProgramsBuilt);
            Assert.Equal(1, second.ProgramsLoadedFromCache);
            using OpenCLKernel k = p.CreateKernel("scale");
            Assert.Equal("scale", k.Name);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BACKENDS_CACHE_DIR", old);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void CorruptCacheEntry_IsRebuilt()
    {
        TestDevices.Get("opencl:0");
        string dir = Path.Combine(Path.GetTempPath(), "backends-cache-test-" + Guid.NewGuid().ToString("N"));
        string source = ScaleSource + $"\n// {Guid.NewGuid()}\n";
        string? old = Environment.GetEnvironmentVariable("BACKENDS_CACHE_DIR");
        try
        {
            Environment.SetEnvironmentVariable("BACKENDS_CACHE_DIR", dir);
            using (var first = (OpenCLDevice)TestDevices.Registry.Open("opencl:0"))
            {
                first.BuildProgram(source).Dispose();
            }

            foreach (string f in Directory.GetFiles(Path.Combine(dir, "opencl"), "*.bin"))
            {
                File.WriteAllBytes(f, [1, 2, 3, 4]);
            }

            using var second = (OpenCLDevice)TestDevices.Registry.Open("opencl:0");
            second.BuildProgram(source).Dispose();
            Assert.Equal(1, second.ProgramsBuilt);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BACKENDS_CACHE_DIR", old);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Info_HasTheOpenCLFacts()
    {
        DeviceInfo info = Device.Info;
        Assert.Equal("opencl", info.Backend);
        Assert.True(info.ComputeUnits > 0);
        Assert.True(Device.MaxWorkGroupSize > 0);
        Assert.Contains(info.Facts, f => f.Key == "opencl c");
        Assert.Contains(info.Facts, f => f.Key == "fp16");
        Assert.True(Device.Variants(OpKind.Gemm).Count >= 2);
        Assert.Throws<ArgumentException>(() => Device.GetVariant("nope"));
    }

    [Fact]
    public void HugeAllocation_IsOutOfDeviceMemory() =>
        Assert.Throws<OutOfDeviceMemoryException>(() => Device.AllocateBuffer(DType.F32, (Device.MaxAllocationBytes / 4) + 1));
}
