using System;
using System.IO;
using System.Linq;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU buffers' memory (<see cref="CpuMemory"/>): 64-byte aligned, large buffers 2 MiB aligned and advised for
/// transparent huge pages on Linux, every byte of them usable, and the device's diagnostics saying what it does.
/// </summary>
public sealed unsafe class CpuMemoryTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData(4095L)]
    [InlineData((4L << 20) - 1)]
    [InlineData(4L << 20)]
    [InlineData((9L << 20) + 12345)]
    public void Allocate_IsAligned_AdvisedFromTheThreshold_AndUsableToTheLastByte(long bytes)
    {
        int advisedBefore = CpuMemory.Advised;
        byte* p = (byte*)CpuMemory.Allocate(bytes);
        try
        {
            Assert.True(p != null);
            bool huge = CpuMemory.AdvisesHugePages && bytes >= CpuMemory.HugeThreshold;
            Assert.Equal(0L, (long)p % (huge ? 2L << 20 : 64));
            if (huge && File.Exists("/sys/kernel/mm/transparent_hugepage/enabled"))
            {
                // A kernel with transparent huge pages accepts the advice whatever its setting ("never" included).
                Assert.True(CpuMemory.Advised > advisedBefore, $"madvise was not accepted: {CpuMemory.Status}");
            }

            // Every byte written and read back (the advice must not change what the memory holds).
            for (long i = 0; i < bytes; i += 4093)
            {
                p[i] = (byte)(i * 7);
            }

            p[bytes - 1] = 0xA5;
            for (long i = 0; i < bytes - 1; i += 4093)
            {
                Assert.Equal((byte)(i * 7), p[i]);
            }

            Assert.Equal(0xA5, p[bytes - 1]);
        }
        finally
        {
            CpuMemory.Free(p);
        }
    }

    [Fact]
    public void Diagnostics_SayWhatTheMemoryIs()
    {
        Device cpu = TestDevices.Get("cpu:0");
        string memory = cpu.Diagnostics.Single(kv => kv.Key == "memory").Value;
        Assert.Equal(CpuMemory.Status, memory);
        Assert.Contains(CpuMemory.AdvisesHugePages ? "huge pages" : "pages", memory, StringComparison.Ordinal);
    }

    [Fact]
    public void LargeBuffer_HoldsWhatIsWritten()
    {
        // 6 MiB through the device: the advised path end to end (write, a kernel, read back).
        Device cpu = TestDevices.Get("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        const int Count = 6 << 18;
        TensorView x = cpu.Allocate(DType.F32, Count), y = cpu.Allocate(DType.F32, Count);
        using DeviceBuffer xb = x.Buffer, yb = y.Buffer;
        float[] data = [.. Enumerable.Range(0, Count).Select(i => (float)(i % 1001) - 500f)];
        s.Write<float>(x, data);
        s.Fill(y, float.NaN);
        s.Copy(x, y);
        float[] back = s.Read<float>(y);
        Assert.Equal(data, back);
    }
}
