using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Backends.Cpu;

/// <summary>
/// A real ordered queue: one worker thread per stream runs queued work in order (kernels inside fan out over all
/// cores), so Record/Wait/Synchronize behave as on a GPU and two streams overlap. A thread that waits for the stream
/// (<see cref="DeviceStream.Synchronize"/>, a read, an event's synchronise) runs the queued work itself while the
/// worker is not running any: one thread at a time takes items, in order, so the order is the same whichever runs
/// them. A failure makes the stream faulted: later kernels are skipped and every synchronising call rethrows it.
/// </summary>
/// <remarks>
/// Why the waiting thread runs the work: a launch followed by a wait (the common pattern, and what a benchmark of
/// single calls does) otherwise pays two thread wake-ups per call, the worker's at the launch and the caller's at the
/// end, and on a 2-core machine a third thread that spins competes with the kernel's own two. Run by the caller, the
/// call costs what the kernel costs, as a synchronous library's does.
/// </remarks>
internal sealed class CpuStream : DeviceStream
{
    /// <summary>Copies from this size on use non-temporal stores (the target would not fit in the caches anyway).</summary>
    private const long StreamingCopyBytes = 8L << 20;

    private static int s_count;

    /// <summary>Items not yet taken, in order; guarded by <see cref="_gate"/>, as are the fields below it.</summary>
    private readonly Queue<WorkItem> _items = new();
    private readonly int _depth;
    private readonly Thread _worker;
    private readonly object _gate = new();
    private long _queued;
    private long _done;

    /// <summary>Whether a thread (the worker or a waiting caller) is taking and running items: at most one at a time.</summary>
    private bool _running;

    /// <summary>No more items: the stream is being disposed.</summary>
    private bool _closed;

    /// <summary>Items not yet taken, readable without the lock (a spinning thread's hint).</summary>
    private int _pending;
    private Exception? _fault;

    public CpuStream(CpuDevice device)
        : base(device)
    {
        // Bounded: Add waits while Device.StreamQueueDepth items are waiting (backpressure, not unbounded memory).
        _depth = device.StreamQueueDepth;
        _worker = new Thread(Loop) { IsBackground = true, Name = $"backends-cpu-stream-{Interlocked.Increment(ref s_count)}" };
        _worker.Start();
    }

    private enum Kind
    {
        Work,
        Event,
        Wait,
    }

    /// <summary>Queues work; each buffer is kept alive until the work has run.</summary>
    public void Enqueue(Action work, params CpuBuffer[] buffers)
    {
        ThrowIfDisposed();
        for (int i = 0; i < buffers.Length; i++)
        {
            if (!buffers[i].TryAddRef())
            {
                // Disposed after validation (by another thread): give back what was taken and refuse, never touch freed memory.
                for (int j = 0; j < i; j++)
                {
                    buffers[j].Release();
                }

                throw new ObjectDisposedException(buffers[i].ToString(), "A buffer of this call was disposed.");
            }
        }

        try
        {
            Add(new WorkItem(Kind.Work, work, null, buffers));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The stream was disposed by another thread (a device dispose) between the check and the add.
            foreach (CpuBuffer b in buffers)
            {
                b.Release();
            }

            throw new ObjectDisposedException(nameof(CpuStream), "The stream was disposed.");
        }
    }

    public void ThrowIfFaulted()
    {
        Exception? f = Volatile.Read(ref _fault);
        if (f is not null)
        {
            throw new StreamFaultedException("cpu", $"Work queued on a stream of {Device.Id} failed: {f.Message}", f);
        }
    }

    protected override unsafe void WriteCore(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        var dst = (CpuBuffer)destination;
        if (IsIdle())
        {
            // Nothing of this stream is queued, so the copy can happen now without breaking order. The reference keeps
            // the memory alive should another thread dispose the buffer (or the device) meanwhile.
            dst.AddRef();
            try
            {
                source.CopyTo(new Span<byte>((byte*)dst.Pointer + byteOffset, source.Length));
            }
            finally
            {
                dst.Release();
            }

            return;
        }

        byte[] staging = ArrayPool<byte>.Shared.Rent(source.Length);
        source.CopyTo(staging);
        int length = source.Length;
        Enqueue(
            () =>
            {
                try
                {
                    new ReadOnlySpan<byte>(staging, 0, length).CopyTo(new Span<byte>((byte*)dst.Pointer + byteOffset, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(staging);
                }
            },
            dst);
    }

    protected override unsafe void ReadCore(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        SynchronizeCore();
        var src = (CpuBuffer)source;
        src.AddRef(); // a concurrent dispose frees the memory only after this copy
        try
        {
            new ReadOnlySpan<byte>((byte*)src.Pointer + byteOffset, destination.Length).CopyTo(destination);
        }
        finally
        {
            src.Release();
        }
    }

    protected override unsafe void CopyCore(DeviceBuffer source, long sourceByteOffset, DeviceBuffer destination, long destinationByteOffset, long byteCount)
    {
        var src = (CpuBuffer)source;
        var dst = (CpuBuffer)destination;
        Enqueue(
            () =>
            {
                byte* from = (byte*)src.Pointer + sourceByteOffset, to = (byte*)dst.Pointer + destinationByteOffset;
                bool disjoint = to + byteCount <= from || from + byteCount <= to;
                if (byteCount >= StreamingCopyBytes && disjoint)
                {
                    // A large move: both cores, stores that bypass the caches (no read-for-ownership of the target).
                    CpuParallel.For(byteCount, 1 << 20, (s, e) => CpuFused.CopyStreaming(from + s, to + s, e - s));
                }
                else
                {
                    CpuParallel.For(byteCount, 1 << 20, (s, e) => Buffer.MemoryCopy(from + s, to + s, e - s, e - s));
                }
            },
            src,
            dst);
    }

    protected override unsafe void FillCore(DeviceBuffer destination, long byteOffset, long byteCount, ReadOnlySpan<byte> pattern)
    {
        var dst = (CpuBuffer)destination;
        byte[] p = pattern.ToArray();
        Enqueue(
            () =>
            {
                byte* start = (byte*)dst.Pointer + byteOffset;
                CpuParallel.For(byteCount / p.Length, 1 << 18, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (s, e) =>
                {
                    switch (p.Length)
                    {
                        case 1: new Span<byte>(start + s, (int)(e - s)).Fill(p[0]); break;
                        case 2: new Span<ushort>((ushort*)start + s, (int)(e - s)).Fill(BitConverter.ToUInt16(p)); break;
                        default: new Span<uint>((uint*)start + s, (int)(e - s)).Fill(BitConverter.ToUInt32(p)); break;
                    }
                });
            },
            dst);
    }

    protected override DeviceEvent RecordCore()
    {
        var e = new CpuEvent(this);
        e.Sequence = Add(new WorkItem(Kind.Event, null, e, []));
        return e;
    }

    protected override void WaitCore(DeviceEvent deviceEvent)
    {
        var e = (CpuEvent)deviceEvent;
        if (!e.IsComplete)
        {
            Add(new WorkItem(Kind.Wait, null, e, []));
        }
    }

    protected override void SynchronizeCore()
    {
        RunUntil(Volatile.Read(ref _queued));
        ThrowIfFaulted();
    }

    /// <summary>
    /// Returns once the first <paramref name="target"/> items have run. While no other thread runs items, this thread
    /// takes and runs them itself (one at a time, so it stops at the target); while one does, it spins
    /// briefly and then sleeps. Small work finishes within microseconds, and a wake-up costs tens of µs: with more
    /// than one processor the spin is a pause loop of 50 µs; with one it is a yield loop of up to 5 ms, which hands the
    /// core to the thread running the work rather than competing with it, so the caller is awake when a few
    /// milliseconds of work end.
    /// </summary>
    internal void RunUntil(long target)
    {
        long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + (Environment.ProcessorCount > 1 ? SpinTicks : SoloSyncSpinTicks);
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _done) < target)
        {
            if (Volatile.Read(ref _pending) > 0 && TryTake(target, out WorkItem? item))
            {
                Run(item);
                continue;
            }

            if (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil)
            {
                Pause(ref spinner);
                continue;
            }

            lock (_gate)
            {
                // Sleep until the items are done or free to take (the thread running them wakes every waiter after each).
                while (_done < target && (_running || _items.Count == 0))
                {
                    Monitor.Wait(_gate);
                }
            }
        }
    }

    protected override void DisposeCore()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }

        _worker.Join();
    }

    private bool IsIdle()
    {
        lock (_gate)
        {
            return _done == _queued && _fault is null;
        }
    }

    /// <summary>Queues an item (waiting while the queue holds its depth) and returns its position: it has run once <see cref="_done"/> reaches it.</summary>
    private long Add(WorkItem item)
    {
        lock (_gate)
        {
            while (!_closed && _items.Count >= _depth)
            {
                Monitor.Wait(_gate);
            }

            if (_closed)
            {
                throw new ObjectDisposedException(nameof(CpuStream), "The stream was disposed.");
            }

            _items.Enqueue(item);
            _pending = _items.Count;
            Monitor.PulseAll(_gate);
            return ++_queued;
        }
    }

    /// <summary>
    /// Takes the next item if no thread is running items and it is one of the first <paramref name="target"/> items;
    /// the taker must <see cref="Run"/> it. The bound is checked under the lock: a waiter that saw the target not yet
    /// reached may find, by the time it takes, that another thread has reached it, and must then not run the work
    /// queued after its target (that work may wait for this very waiter).
    /// </summary>
    private bool TryTake(long target, [NotNullWhen(true)] out WorkItem? item)
    {
        lock (_gate)
        {
            if (_running || _items.Count == 0 || _done >= target)
            {
                item = null;
                return false;
            }

            item = TakeLocked();
            return true;
        }
    }

    /// <summary>Takes the next item under <see cref="_gate"/>, marking the queue as being run.</summary>
    private WorkItem TakeLocked()
    {
        _running = true;
        WorkItem item = _items.Dequeue();
        _pending = _items.Count;
        Monitor.PulseAll(_gate); // a writer waiting for room
        return item;
    }

    /// <summary>
    /// One step of a short spin: with more than one processor a plain pause loop (no system call, so the other thread
    /// sees the result within a fraction of a microsecond), with one processor a yield (spinning could only delay the
    /// thread being waited for).
    /// </summary>
    private static void Pause(ref SpinWait spinner)
    {
        if (Environment.ProcessorCount > 1)
        {
            Thread.SpinWait(8);
        }
        else
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>How long a stream's worker spins for the next item before blocking, and a synchronising caller with more than one processor for the work to end: 50 µs.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 20_000;

    /// <summary>How long a synchronising caller yields in a loop before blocking when the process has one processor: 5 ms.</summary>
    private static readonly long SoloSyncSpinTicks = System.Diagnostics.Stopwatch.Frequency / 200;

    /// <summary>The worker's next item: taken at once, after a short spin (a launch right after the last one), or after sleeping; false once the stream is closed and drained.</summary>
    private bool TryNext([NotNullWhen(true)] out WorkItem? item)
    {
        if (TryTake(long.MaxValue, out item))
        {
            return true;
        }

        long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = default(SpinWait);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil && !Volatile.Read(ref _closed))
        {
            if (Volatile.Read(ref _pending) > 0 && TryTake(long.MaxValue, out item))
            {
                return true;
            }

            Pause(ref spinner);
        }

        lock (_gate)
        {
            while (_running || _items.Count == 0)
            {
                if (_closed && _items.Count == 0 && !_running)
                {
                    // Disposed, drained, and no waiting caller still running the last item: Dispose, which joins this
                    // thread, then returns only once every queued item has run.
                    item = null;
                    return false;
                }

                Monitor.Wait(_gate);
            }

            item = TakeLocked();
            return true;
        }
    }

    private void Loop()
    {
        while (TryNext(out WorkItem? item))
        {
            Run(item);
        }
    }

    /// <summary>Runs a taken item on this thread, records a failure as the stream's fault, and hands the queue on.</summary>
    private void Run(WorkItem item)
    {
        try
        {
            switch (item.Kind)
            {
                case Kind.Event:
                    item.Event!.Complete();
                    break;
                case Kind.Wait:
                    item.Event!.WaitForCompletion();
                    break;
                default:
                    if (Volatile.Read(ref _fault) is null)
                    {
                        item.Work!();
                    }

                    break;
            }
        }
#pragma warning disable CA1031 // the thread running queued work must survive any failure of it; it is reported at the next synchronisation
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _fault, ex, null);
        }
        finally
        {
            foreach (CpuBuffer b in item.Buffers)
            {
                b.Release();
            }

            lock (_gate)
            {
                _done++;
                _running = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private sealed record WorkItem(Kind Kind, Action? Work, CpuEvent? Event, CpuBuffer[] Buffers);
}
