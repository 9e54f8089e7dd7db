using System;
using System.Threading;
using System.Threading.Tasks;
using Backends.Cpu;
using Backends.OpenCL;
using Xunit;

namespace Backends.Tests;

/// <summary>Use after dispose and races between threads: an exception, never a crash, a hang or a write to freed memory.</summary>
public sealed class LifetimeTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    [Fact]
    public void CpuDevice_DisposedWhileAnotherThreadReads_NeverCrashes()
    {
        for (int round = 0; round < 5; round++)
        {
            Device d = TestDevices.Registry.Open("cpu:0");
            TensorView v = d.Allocate(DType.F32, 8 << 20); // 32 MiB: each read takes a while
            DeviceStream s = d.CreateStream();
            s.Fill(v, 1f);
            s.Synchronize();
            var host = new float[v.ElementCount];
            using var started = new ManualResetEventSlim();
            Exception? unexpected = null;
            var reader = Task.Run(() =>
            {
                started.Set();
                try
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        s.Read<float>(v, host);
                    }
                }
                catch (ObjectDisposedException)
                {
                    // the documented outcome once the device is gone
                }
                catch (InvalidOperationException)
                {
                    // the device's dispose was using the stream at that moment
                }
#pragma warning disable CA1031 // anything else is the failure this test looks for
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    unexpected = ex;
                }
            });
            started.Wait();
            Thread.Sleep(round * 3);
            d.Dispose();
            Assert.True(reader.Wait(TimeSpan.FromSeconds(60)), "the reader hung");
            Assert.Null(unexpected);
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Stream_UsedByTwoThreadsAtOnce_IsInvalidOperation(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        TensorView x = d.Allocate(DType.F32, 64), y = d.Allocate(DType.F32, 64);
        using (s.EnterUse())
        {
            // Another thread while this one is inside a call on the stream: refused up front, before any native call.
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => d.Kernels.Silu(s, x, y)));
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => s.Synchronize()));
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => s.Fill(x, 1f)));

            // The owner's own nested calls are fine.
            s.Fill(x, 2f);
        }

        // Released: another thread may use it now.
        Assert.Null(OnOtherThread(() => d.Kernels.Silu(s, x, y)));
        s.Synchronize();
    }

    /// <summary>Runs on a thread of its own (a task could be inlined on the waiting thread) and returns what it threw.</summary>
    private static Exception? OnOtherThread(Action action)
    {
        Exception? seen = null;
        var t = new Thread(() => seen = Record.Exception(action));
        t.Start();
        t.Join();
        return seen;
    }

    [Fact]
    public void OpenCL_DisposedCustomKernel_IsRefused()
    {
        var d = (OpenCLDevice)TestDevices.Get("opencl:0");
        using DeviceStream s = d.CreateStream();
        TensorView v = d.Allocate(DType.F32, 16);
        using OpenCLProgram p = d.BuildProgram("__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; }");
        OpenCLKernel k = p.CreateKernel("twice");
        k.SetBuffer(0, v.Buffer);
        k.Launch(s, [16]);
        k.Dispose();
        Assert.Throws<ObjectDisposedException>(() => k.Launch(s, [16]));
        s.Synchronize();
    }

    [Fact]
    public void OpenCL_KernelWithDisposedBuffer_IsRefusedNotHung()
    {
        var d = (OpenCLDevice)TestDevices.Get("opencl:0");
        using DeviceStream s = d.CreateStream();
        using OpenCLProgram p = d.BuildProgram("__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; }");
        using OpenCLKernel k = p.CreateKernel("twice");
        DeviceBuffer b = d.AllocateBuffer(DType.F32, 16);
        k.SetBuffer(0, b);
        b.Dispose();
        Assert.Throws<ObjectDisposedException>(() => k.Launch(s, [16]));
        s.Synchronize(); // nothing was queued: returns at once
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ScratchBuffer_UseAfterReturn_IsRefused(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        ScratchBuffer sb = d.Scratch.Rent(s, DType.F32, 8);
        sb.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sb.View);
        sb.Dispose();
    }
}
