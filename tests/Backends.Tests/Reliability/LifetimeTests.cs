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
            RaceWithDispose(
                () =>
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        s.Read<float>(v, host);
                    }
                },
                d.Dispose,
                round * 3,
                // once the device is gone; or the device's dispose was using the stream at that moment
                ex => ex is ObjectDisposedException or InvalidOperationException,
                "reader");
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

    [Fact]
    public void CustomKernelLaunches_WhileAnotherThreadUsesTheStream_AreInvalidOperation()
    {
        // The backends' own stream calls (a CPU custom kernel, an OpenCL kernel, the roofline's FMA burst) follow the
        // one-thread-at-a-time rule as the interface's calls do: before, they only bound the context, and a second
        // thread's launch raced the owner's (on OpenCL, two threads editing the stream's list of pending transfers).
        var cpu = (CpuDevice)TestDevices.Get("cpu:0");
        var ocl = (OpenCLDevice)TestDevices.Get("opencl:0");
        using DeviceStream cs = cpu.CreateStream();
        using DeviceStream os = ocl.CreateStream();
        TensorView cv = cpu.Allocate(DType.F32, Math.Max(64, cpu.ScratchElements)), ov = ocl.Allocate(DType.F32, Math.Max(64, ocl.ScratchElements));
        using DeviceBuffer cb = cv.Buffer, ob = ov.Buffer;
        using OpenCLProgram p = ocl.BuildProgram("__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; }");
        using OpenCLKernel k = p.CreateKernel("twice");
        k.SetBuffer(0, ob);
        int ran = 0;
        using (cs.EnterUse())
        using (os.EnterUse())
        {
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => cpu.Launch(cs, _ => ran++, cv)));
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => cpu.QueueFmaBurst(cs, cv, 1)));
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => k.Launch(os, [64])));
            Assert.IsType<InvalidOperationException>(OnOtherThread(() => ocl.QueueFmaBurst(os, ov, 1)));
        }

        cs.Synchronize();
        Assert.Equal(0, ran);
        Assert.Null(OnOtherThread(() => cpu.Launch(cs, _ => ran++, cv)));
        cs.Synchronize();
        Assert.Equal(1, ran);
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void StreamDispose_WhileAnotherThreadIsInACall_WaitsForThatCall(string device)
    {
        // Dispose on one thread while another is inside a call on the stream (here a scope of nested calls, as a
        // backend's own multi-step op holds): Dispose waits for the scope to end, so nothing native is released under it
        // (before, the native queue, staging memory and pending lists could be). Calls that start after the dispose began
        // are refused with ObjectDisposedException, the nested ones included.
        Device d = TestDevices.Get(device);
        DeviceStream s = d.CreateStream();
        TensorView v = d.Allocate(DType.F32, 1024);
        using DeviceBuffer b = v.Buffer;
        var host = new float[v.ElementCount];
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Exception? userFailure = null;
        var user = new Thread(() =>
        {
            try
            {
                using (s.EnterUse())
                {
                    s.Fill(v, 3f);
                    inside.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                    Assert.Throws<ObjectDisposedException>(() => s.Read<float>(v, host));
                }
            }
#pragma warning disable CA1031 // recorded for the assertion below
            catch (Exception ex)
#pragma warning restore CA1031
            {
                userFailure = ex;
            }
        });
        user.Start();
        inside.Wait();
        var disposer = Task.Factory.StartNew(s.Dispose, TaskCreationOptions.LongRunning);
        Assert.False(disposer.Wait(200), "Dispose returned while another thread was inside a call on the stream");
        release.Set();
        user.Join();
        Assert.True(disposer.Wait(TimeSpan.FromSeconds(30)), "Dispose hung");
        Assert.Null(userFailure);
        Assert.Throws<ObjectDisposedException>(() => s.Synchronize());
        Assert.Throws<ObjectDisposedException>(() => s.EnterUse());
    }

    [Fact]
    public void DeviceDispose_RacingCreation_LeavesNothingAlive()
    {
        // Streams and buffers created on another thread while the device is disposed: each is either refused or
        // released with the device, never left alive (before, one created after the device took its list escaped).
        for (int round = 0; round < 10; round++)
        {
            Device d = TestDevices.Registry.Open("cpu:0");
            var made = new System.Collections.Concurrent.ConcurrentBag<IDisposable>();
            RaceWithDispose(
                () =>
                {
                    while (true)
                    {
                        made.Add(d.CreateStream());
                        made.Add(d.AllocateBuffer(DType.F32, 16));
                    }
                },
                d.Dispose,
                1 + round,
                ex => ex is ObjectDisposedException, // once the device is (being) disposed
                "maker");
            Assert.All(made, m => Assert.True(m is DeviceStream st ? st.IsDisposed : ((DeviceBuffer)m).IsDisposed, $"{m} is still alive"));
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Buffer_DisposedWhileAnotherThreadWritesAndReadsIt_IsRefusedNeverCrashes(string device)
    {
        // Each call holds its buffers until it returns, so a dispose on another thread mid-call releases the memory
        // after the call's native work: the writer sees its calls succeed or ObjectDisposedException, nothing else.
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        var data = new float[1 << 14];
        for (int round = 0; round < 10; round++)
        {
            DeviceBuffer b = d.AllocateBuffer(DType.F32, data.Length);
            TensorView v = b.View();
            RaceWithDispose(
                () =>
                {
                    for (int i = 0; i < 10_000; i++)
                    {
                        s.Write<float>(v, data);
                        s.Read<float>(v, data);
                    }
                },
                b.Dispose,
                round % 3,
                ex => ex is ObjectDisposedException, // once the buffer is gone
                "writer");
        }

        s.Synchronize();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own, calls <paramref name="dispose"/> <paramref name="delayMs"/>
    /// ms after it has started, and checks that the work ended within 60 s, either by itself or with an exception
    /// <paramref name="expected"/> accepts (the documented outcome of using a disposed object), never another.
    /// </summary>
    private static void RaceWithDispose(Action work, Action dispose, int delayMs, Func<Exception, bool> expected, string what)
    {
        using var started = new ManualResetEventSlim();
        Exception? unexpected = null;
        var t = new Thread(() =>
        {
            started.Set();
            try
            {
                work();
            }
#pragma warning disable CA1031 // anything unexpected is the failure these tests look for
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (!expected(ex))
                {
                    unexpected = ex;
                }
            }
        });
        t.Start();
        started.Wait();
        Thread.Sleep(delayMs);
        dispose();
        Assert.True(t.Join(TimeSpan.FromSeconds(60)), $"the {what} hung");
        Assert.Null(unexpected);
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
