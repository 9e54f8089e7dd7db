using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Threading;

namespace Backends.Cpu;

/// <summary>
/// A real ordered queue: one worker thread per stream runs queued work in order (kernels inside fan out over all
/// cores), so Record/Wait/Synchronize behave as on a GPU and two streams overlap. A failure makes the stream faulted:
/// later kernels are skipped and every synchronising call rethrows it.
/// </summary>
internal sealed class CpuStream : DeviceStream
{
    /// <summary>Copies from this size on use non-temporal stores (the target would not fit in the caches anyway).</summary>
    private const long StreamingCopyBytes = 8L << 20;

    private static int s_count;
    private readonly BlockingCollection<WorkItem> _queue;
    private readonly Thread _worker;
    private readonly object _gate = new();
    private long _queued;
    private long _done;
    private Exception? _fault;

    public CpuStream(CpuDevice device)
        : base(device)
    {
        // Bounded: Add waits while Device.StreamQueueDepth items are unfinished (backpressure, not unbounded memory).
        _queue = new BlockingCollection<WorkItem>(device.StreamQueueDepth);
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
                CpuParallel.For(byteCount / p.Length, 1 << 18, (s, e) =>
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
        Add(new WorkItem(Kind.Event, null, e, []));
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
        // Small work finishes within microseconds: spin briefly before sleeping on the monitor (a wake-up costs tens of µs).
        // With one processor the spin is a yield loop, which hands the core to the worker rather than competing with
        // it, so it goes on for longer: a caller waiting on a few milliseconds of work is then awake when the work
        // ends, instead of paying a wake-up after it (tens to hundreds of µs on a VM, 7% of a 512³ SGEMM here).
        long goal = Volatile.Read(ref _queued);
        long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + (Environment.ProcessorCount > 1 ? SpinTicks : SoloSyncSpinTicks);
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _done) < goal && System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil)
        {
            Pause(ref spinner);
        }

        lock (_gate)
        {
            long target = _queued;
            while (Volatile.Read(ref _done) < target)
            {
                Monitor.Wait(_gate);
            }
        }

        ThrowIfFaulted();
    }

    protected override void DisposeCore()
    {
        _queue.CompleteAdding();
        _worker.Join();
        _queue.Dispose();
    }

    private bool IsIdle()
    {
        lock (_gate)
        {
            return _done == _queued && _fault is null;
        }
    }

    private void Add(WorkItem item)
    {
        lock (_gate)
        {
            _queued++;
        }

        try
        {
            _queue.Add(item);
        }
        catch
        {
            lock (_gate)
            {
                _queued--;
            }

            throw;
        }
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

    /// <summary>The next item: taken at once, after a short spin (a launch right after the last one), or by blocking.</summary>
    private bool TryNext(out WorkItem item)
    {
        if (_queue.TryTake(out item!))
        {
            return true;
        }

        long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = default(SpinWait);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil)
        {
            if (_queue.TryTake(out item!))
            {
                return true;
            }

            if (_queue.IsAddingCompleted)
            {
                break;
            }

            Pause(ref spinner);
        }

        try
        {
            item = _queue.Take();
            return true;
        }
        catch (InvalidOperationException)
        {
            // Adding completed and the queue is empty: the stream is being disposed.
            item = null!;
            return false;
        }
    }

    private void Loop()
    {
        while (TryNext(out WorkItem item))
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
#pragma warning disable CA1031 // the worker must survive any failure of queued work; it is reported at the next synchronisation
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
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    private sealed record WorkItem(Kind Kind, Action? Work, CpuEvent? Event, CpuBuffer[] Buffers);
}
