using System;
using Xunit;

namespace Backends.Tests;

/// <summary>The stream-ordered scratch pool: reuse on the same stream at once, on another only after the launch is done.</summary>
public sealed class ScratchPoolTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    [Theory]
    [MemberData(nameof(Devices))]
    public void SameStream_ReusesAtOnce(string device)
    {
        TestDevices.Get(device);
        using Device d = TestDevices.Registry.Open(device); // a pool of its own: other tests share the common devices
        using DeviceStream s = d.CreateStream();
        ScratchPool pool = d.Scratch;
        long allocations = pool.Allocations;
        for (int i = 0; i < 5; i++)
        {
            using ScratchBuffer sb = pool.Rent(s, DType.I32, 100 + i);
            Assert.Equal(100 + i, sb.View.ElementCount);
            s.Fill(sb.View, i);
        }

        Assert.Equal(allocations + 1, pool.Allocations);
        s.Synchronize();
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void OtherStream_ReusesOnlyOnceTheWorkIsDone(string device)
    {
        TestDevices.Get(device);
        using Device d = TestDevices.Registry.Open(device); // a pool of its own: other tests share the common devices
        using DeviceStream a = d.CreateStream(), b = d.CreateStream();
        ScratchPool pool = d.Scratch;
        long before = pool.Allocations;
        ScratchBuffer first = pool.Rent(a, DType.F32, 4096);
        a.Fill(first.View, 1f);
        first.Dispose();
        a.Synchronize(); // the launch that used it is done: b may now reuse it
        using (ScratchBuffer second = pool.Rent(b, DType.F32, 4096))
        {
            Assert.Equal(before + 1, pool.Allocations);
            b.Fill(second.View, 2f);
        }

        b.Synchronize();
    }

    [Fact]
    public void PendingWorkOnAnotherStream_GetsFreshMemory()
    {
        using Device d = TestDevices.Registry.Open("cpu:0");
        using DeviceStream a = d.CreateStream(), b = d.CreateStream();
        var release = new System.Threading.ManualResetEventSlim(false);
        ((Backends.Cpu.CpuDevice)d).Launch(a, _ => release.Wait(TimeSpan.FromSeconds(30)));
        ScratchPool pool = d.Scratch;
        long before = pool.Allocations;
        ScratchBuffer first = pool.Rent(a, DType.U8, 1 << 12);
        a.Fill(first.View, (byte)1);
        first.Dispose();                          // a has not run the fill yet
        using (ScratchBuffer second = pool.Rent(b, DType.U8, 1 << 12))
        {
            Assert.Equal(before + 2, pool.Allocations); // not handed to b while a may still use it
        }

        release.Set();
        a.Synchronize();
        b.Synchronize();
    }

    [Fact]
    public void Rent_RefusesBadArguments()
    {
        Device cpu = TestDevices.Get("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.Scratch.Rent(s, DType.F32, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.Scratch.Rent(s, DType.F32, (long)int.MaxValue + 1));
        using Device other = TestDevices.Registry.Open("cpu:0");
        using DeviceStream foreign = other.CreateStream();
        Assert.Throws<DeviceMismatchException>(() => cpu.Scratch.Rent(foreign, DType.F32, 4));
        DeviceStream gone = cpu.CreateStream();
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cpu.Scratch.Rent(gone, DType.F32, 4));
    }

    [Fact]
    public void IdleMemory_IsBoundedAndTrimmed()
    {
        using Device d = TestDevices.Registry.Open("cpu:0");
        using DeviceStream s = d.CreateStream();
        d.Scratch.MaxIdleBytes = 1 << 20;
        for (int i = 0; i < 8; i++)
        {
            using DeviceStream t = d.CreateStream(); // a stream of its own each time: nothing can be reused at once
            using ScratchBuffer sb = d.Scratch.Rent(t, DType.U8, 512 << 10);
        }

        Assert.True(d.Scratch.IdleBytes <= 1 << 20, $"{d.Scratch.IdleBytes} bytes idle");
        d.Scratch.Trim();
        Assert.Equal(0, d.Scratch.IdleBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Scratch.MaxIdleBytes = -1);
    }
}
