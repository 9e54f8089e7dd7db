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
    public void WaitingThread_RunsQueuedWork_InOrder_WithTheWorker()
    {
        // A synchronising thread runs queued items itself while the worker runs none; the two must never run items at
        // once or out of order. Bursts of short items with waits at varying points make both take items.
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.I32, 1);
        using DeviceBuffer b = v.Buffer;
        var order = new System.Collections.Generic.List<int>();
        int running = 0, overlaps = 0, next = 0;
        var rnd = new Random(7);
        for (int round = 0; round < 400; round++)
        {
            int burst = rnd.Next(1, 6);
            for (int i = 0; i < burst; i++)
            {
                int id = next++;
                Cpu.Launch(s, _ =>
                {
                    if (System.Threading.Interlocked.Increment(ref running) != 1)
                    {
                        System.Threading.Interlocked.Increment(ref overlaps);
                    }

                    order.Add(id);
                    System.Threading.Thread.SpinWait(rnd.Next(0, 3) * 200);
                    System.Threading.Interlocked.Decrement(ref running);
                }, v);
            }

            if (round % 3 == 0)
            {
                System.Threading.Thread.SpinWait(rnd.Next(0, 2000)); // sometimes the worker gets there first
            }

            if (round % 2 == 0)
            {
                s.Synchronize();
                Assert.Equal(next, order.Count);
            }
            else
            {
                using DeviceEvent e = s.Record();
                e.Synchronize();
                Assert.True(order.Count >= next);
            }
        }

        s.Synchronize();
        Assert.Equal(0, overlaps);
        Assert.Equal(System.Linq.Enumerable.Range(0, next), order);
    }

    [Fact]
    public void EventSynchronize_RunsOnlyTheWorkBeforeTheEvent()
    {
        // Work queued after the event must not hold up the event's waiter: here it cannot finish until the waiter
        // returns. The worker sleeps first (beyond its 50 µs spin), so the waiting thread usually runs the items itself.
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.I32, 1);
        using DeviceBuffer b = v.Buffer;
        for (int round = 0; round < 10; round++)
        {
            using var gate = new System.Threading.ManualResetEventSlim(false);
            bool before = false, after = false, timedOut = false;
            s.Synchronize();
            System.Threading.Thread.Sleep(5);
            Cpu.Launch(s, _ => before = true, v);
            using DeviceEvent e = s.Record();
            Cpu.Launch(s, _ =>
            {
                timedOut = !gate.Wait(TimeSpan.FromSeconds(5));
                after = true;
            }, v);
            e.Synchronize();
            Assert.True(before);
            Assert.False(after);
            gate.Set();
            s.Synchronize();
            Assert.True(after);
            Assert.False(timedOut);
        }
    }

    [Fact]
    public void EventSynchronize_NeverRunsWorkQueuedAfterTheEvent_WhileTheWorkerRaces()
    {
        // The waiter and the worker race for the items here (no sleep: the worker is often still spinning for work):
        // whichever thread reaches the event, the waiting thread must never take an item queued after it. An item
        // after the event that finds itself on the waiting thread records that and returns at once (a regression
        // once let a waiter, having seen the event not yet reached, take the next item after the worker reached it).
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.I32, 1);
        using DeviceBuffer b = v.Buffer;
        int waiter = Environment.CurrentManagedThreadId;
        int ranOnWaiter = 0;
        bool inEventSynchronize = false;
        var rng = new Random(20261201);
        // Two threads that only spin take the cores from the waiter and the worker at random points, so the window
        // between a waiter's check of the event and its taking the next item is sometimes open long enough.
        using var stop = new System.Threading.CancellationTokenSource();
        var hogs = new System.Threading.Tasks.Task[2];
        for (int i = 0; i < hogs.Length; i++)
        {
            hogs[i] = System.Threading.Tasks.Task.Factory.StartNew(
                () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        System.Threading.Thread.SpinWait(100);
                    }
                },
                System.Threading.Tasks.TaskCreationOptions.LongRunning);
        }

        for (int round = 0; round < 20000; round++)
        {
            using var gate = new System.Threading.ManualResetEventSlim(false);
            int spin = rng.Next(0, 400);
            Cpu.Launch(s, _ => System.Threading.Thread.SpinWait(spin), v);
            using DeviceEvent e = s.Record();
            Cpu.Launch(s, _ =>
            {
                if (Environment.CurrentManagedThreadId != waiter)
                {
                    gate.Wait(TimeSpan.FromSeconds(5));
                }
                else if (inEventSynchronize)
                {
                    ranOnWaiter++;
                }
            }, v);
            System.Threading.Thread.SpinWait(rng.Next(0, 400));
            inEventSynchronize = true;
            e.Synchronize();
            inEventSynchronize = false;
            gate.Set();
            s.Synchronize(); // may run the item after the event on this thread: that is allowed here
        }

        stop.Cancel();
        System.Threading.Tasks.Task.WaitAll(hogs);
        Assert.Equal(0, ranOnWaiter);
    }

    [Fact]
    public void WaitingThread_RunningAFailingKernel_FaultsTheStream_AndSkipsTheRest()
    {
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.I32, 4);
        using DeviceBuffer b = v.Buffer;
        s.Synchronize();
        System.Threading.Thread.Sleep(5); // the worker sleeps, so the waiting thread below most likely runs the items itself
        bool ranAfter = false;
        Cpu.Launch(s, _ => throw new InvalidOperationException("planted failure"), v);
        Cpu.Launch(s, _ => ranAfter = true, v);
        StreamFaultedException ex = Assert.Throws<StreamFaultedException>(() => s.Synchronize());
        Assert.Contains("planted failure", ex.Message, StringComparison.Ordinal);
        Assert.False(ranAfter);
        Assert.Throws<StreamFaultedException>(() => s.Read<int>(v));
    }

    [Fact]
    public void FullQueue_Waits_ThenEverythingRuns()
    {
        // More items than the queue holds behind a blocked first item: the launches wait for room, none is lost.
        using DeviceStream s = Cpu.CreateStream();
        TensorView v = Cpu.Allocate(DType.I32, 1);
        using DeviceBuffer b = v.Buffer;
        using var gate = new System.Threading.ManualResetEventSlim(false);
        int ran = 0;
        Cpu.Launch(s, _ => gate.Wait(TimeSpan.FromSeconds(20)), v);
        int total = Cpu.StreamQueueDepth + 50;
        var launcher = System.Threading.Tasks.Task.Run(() =>
        {
            for (int i = 0; i < total; i++)
            {
                Cpu.Launch(s, _ => ran++, v);
            }
        });
        Assert.False(launcher.Wait(300)); // blocked: the queue is full
        gate.Set();
        Assert.True(launcher.Wait(TimeSpan.FromSeconds(20)));
        s.Synchronize();
        Assert.Equal(total, ran);
    }

    [Fact]
    public void Dispose_RunsWhatIsQueued()
    {
        TensorView v = Cpu.Allocate(DType.I32, 1);
        using DeviceBuffer b = v.Buffer;
        int ran = 0;
        DeviceStream s = Cpu.CreateStream();
        for (int i = 0; i < 100; i++)
        {
            Cpu.Launch(s, _ => ran++, v);
        }

        s.Dispose();
        Assert.Equal(100, ran);
        Assert.Throws<ObjectDisposedException>(() => Cpu.Launch(s, _ => { }, v));
    }

    [Fact]
    public void Info_ReportsSimdAndCores()
    {
        Assert.True(Cpu.Info.SimdWidthBits >= 128);
        Assert.Equal(Environment.ProcessorCount, Cpu.Info.ComputeUnits);
        Assert.Contains(Cpu.Info.Facts, f => f.Key == "simd");
    }
}
