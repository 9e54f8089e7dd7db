using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Backends.Benchmarking;
using Backends.Cpu;
using Backends.OpenCL;
using Xunit;

namespace Backends.Tests;

/// <summary>Limits a device cannot meet are refused up front; queues and caches are bounded; undefined options refused.</summary>
public sealed class LimitsTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    [Fact]
    public void OpenCL_AllocationsBeyondGlobalMemory_AreRefused_AndTheDeviceStaysUsable()
    {
        TestDevices.Get("opencl:0");
        using var d = (OpenCLDevice)TestDevices.Registry.Open("opencl:0");
        var held = new List<DeviceBuffer>();
        long chunk = Math.Min(d.MaxAllocationBytes, 1L << 30) / 4;
        OutOfDeviceMemoryException? refused = null;
        for (int i = 0; i < 64 && refused is null; i++)
        {
            try
            {
                held.Add(d.AllocateBuffer(DType.F32, chunk)); // never touched: PoCL would abort if it were over-committed
            }
            catch (OutOfDeviceMemoryException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.True(d.AllocatedBytes <= d.Info.MemoryBytes);
        foreach (DeviceBuffer b in held)
        {
            b.Dispose();
        }

        Assert.Equal(0, d.AllocatedBytes);
        using DeviceStream s = d.CreateStream();
        TensorView x = d.Allocate(DType.F32, 4), y = d.Allocate(DType.F32, 4);
        s.Write<float>(x, [1, 2, 3, 4]);
        d.Kernels.Add(s, x, x, y);
        Assert.Equal([2f, 4, 6, 8], s.Read<float>(y));
    }

    [Fact]
    public void CpuStream_QueueDepth_MakesEnqueueWait()
    {
        using var d = (CpuDevice)TestDevices.Registry.Open("cpu:0");
        d.StreamQueueDepth = 8;
        using DeviceStream s = d.CreateStream();
        TensorView v = d.Allocate(DType.F32, 16);
        using var release = new ManualResetEventSlim();
        d.Launch(s, _ => release.Wait(TimeSpan.FromSeconds(30)));
        var producer = Task.Run(() =>
        {
            for (int i = 0; i < 40; i++)
            {
                s.Fill(v, (float)i);
            }
        });
        Assert.False(producer.Wait(TimeSpan.FromMilliseconds(300)), "40 launches were queued behind a blocked stream with depth 8");
        release.Set();
        Assert.True(producer.Wait(TimeSpan.FromSeconds(30)));
        Assert.All(s.Read<float>(v), x => Assert.Equal(39f, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.StreamQueueDepth = 0);
    }

    [Fact]
    public void OpenCLStream_QueueDepth_BoundsUnfinishedCommands()
    {
        TestDevices.Get("opencl:0");
        using var d = (OpenCLDevice)TestDevices.Registry.Open("opencl:0");
        d.StreamQueueDepth = 16;
        using DeviceStream s = d.CreateStream();
        TensorView x = d.Allocate(DType.F32, 256), y = d.Allocate(DType.F32, 256);
        s.Fill(x, 0f);
        for (int i = 0; i < 2000; i++)
        {
            d.Kernels.Add(s, x, x, y);
            Assert.True(((OpenCLStream)s).UnmarkedCommands < 16);
        }

        s.Synchronize();
    }

    [Fact]
    public void OpenCL_RopeFrequencyTables_AreBounded()
    {
        TestDevices.Get("opencl:0");
        using var d = (OpenCLDevice)TestDevices.Registry.Open("opencl:0");
        using DeviceStream s = d.CreateStream();
        TensorView x = d.Allocate(DType.F32, 2, 8), pos = d.Allocate(DType.I32, 2), y = d.Allocate(DType.F32, 2, 8);
        s.Fill(x, 1f);
        s.Fill(pos, 3);
        for (int i = 0; i < 150; i++)
        {
            d.Kernels.Rope(s, x, pos, y, new RopeOptions { Theta = 1000 + i });
        }

        s.Synchronize();
        Assert.True(((OpenCLKernels)d.Kernels).FrequencyTables <= 64);
    }

    [Fact]
    public void RooflineCache_EntryThatIsZeroNegativeOrNotFinite_IsMeasuredAgain()
    {
        var info = new DeviceInfo { Id = "cachetest:0", Backend = "cachetest", Index = 0, Name = "test " + Guid.NewGuid().ToString("N"), Kind = DeviceKind.Cpu };
        string path = RooflineMeter.CachePath(info);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            foreach ((double peak, double bw) in new[] { (0.0, 10.0), (-5.0, 10.0), (double.NaN, 10.0), (100.0, double.PositiveInfinity), (100.0, 0.0) })
            {
                File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new RooflineFigures { DeviceId = info.Id, DeviceName = info.Name, PeakGflops = peak, BandwidthGBs = bw },
                    new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
                Assert.Null(RooflineMeter.TryGetCached(info));
            }

            File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new RooflineFigures { DeviceId = info.Id, DeviceName = info.Name, PeakGflops = 100, BandwidthGBs = 10 }));
            Assert.NotNull(RooflineMeter.TryGetCached(info));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void UndefinedEnumOptions_AreArgumentOutOfRange(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        TensorView logits = d.Allocate(DType.F32, 2, 8), w = d.Allocate(DType.F32, 2, 2), ids = d.Allocate(DType.I32, 2, 2);
        s.Fill(ids, 77);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Kernels.TopKGating(s, logits, null, w, ids, new GatingOptions { TopK = 2, Score = (GatingScore)7 }));
        Assert.All(s.Read<int>(ids), v => Assert.Equal(77, v));
        TensorView x = d.Allocate(DType.F32, 2, 8), pos = d.Allocate(DType.I32, 2), y = d.Allocate(DType.F32, 2, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Kernels.Rope(s, x, pos, y, new RopeOptions { Layout = (RopeLayout)(-1) }));
    }
}
