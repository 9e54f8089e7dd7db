using System;
using System.Collections.Generic;

namespace Backends.OpenCL;

/// <summary>
/// An in-order command queue with profiling on. Writes are staged in pinned host memory and enqueued without
/// blocking (the staging copy lives until the write completes); reads block; waits across streams are barriers with
/// an event wait list.
/// </summary>
internal sealed unsafe class OpenCLStream : DeviceStream
{
    private readonly OpenCLDevice _device;
    private readonly List<(ClHandle Event, object? Keep)> _pending = [];
    private readonly int _depth;
    private int _sinceMark;
    private ClHandle? _mark;

    public OpenCLStream(OpenCLDevice device)
        : base(device)
    {
        _device = device;
        int rc;
        ulong* props = stackalloc ulong[] { ClConst.CL_QUEUE_PROPERTIES, ClConst.CL_QUEUE_PROFILING_ENABLE, 0 };
        nint q = ClApi.Api.CreateCommandQueueWithProperties(device.Context.Value, device.Handle, (Silk.NET.OpenCL.QueueProperties*)props, &rc);
        if (rc != ClConst.CL_SUCCESS || q == 0)
        {
            // OpenCL 1.x platforms only have the older entry point.
            q = ClApi.Api.CreateCommandQueue(device.Context.Value, device.Handle, (Silk.NET.OpenCL.CommandQueueProperties)ClConst.CL_QUEUE_PROFILING_ENABLE, &rc);
        }

        ClApi.Check(rc, device.Id, "clCreateCommandQueue");
        Queue = new ClHandle(q, ClHandle.ClKind.Queue);
        _depth = device.StreamQueueDepth;
    }

    /// <summary>Writes above this size (bytes) are blocking instead of staged.</summary>
    private const int LargeWrite = 64 << 20;

    public ClHandle Queue { get; }

    /// <summary>Enqueues a kernel already set up by the caller (who holds the kernel's lock).</summary>
    public void Enqueue(nint kernel, ReadOnlySpan<nuint> global, ReadOnlySpan<nuint> local)
    {
        ThrowIfDisposed();
        fixed (nuint* g = global)
        fixed (nuint* l = local)
        {
            ClApi.Check(ClApi.Api.EnqueueNdrangeKernel(Queue.Value, kernel, (uint)global.Length, null, g, local.IsEmpty ? null : l, 0, null, null), _device.Id);
        }

        Throttle();
    }

    /// <summary>
    /// Backpressure: every <c>depth</c> commands a marker is queued, and the host waits for the previous marker, so at
    /// most about two windows of commands are unfinished however long a loop runs without synchronising.
    /// </summary>
    private void Throttle()
    {
        if (++_sinceMark < _depth)
        {
            return;
        }

        _sinceMark = 0;
        nint ev;
        ClApi.Check(ClApi.Api.EnqueueMarkerWithWaitList(Queue.Value, 0, null, &ev), _device.Id);
        ClApi.Check(ClApi.Api.Flush(Queue.Value), _device.Id);
        ClHandle? previous = _mark;
        _mark = new ClHandle(ev, ClHandle.ClKind.Event);
        if (previous is not null)
        {
            nint p = previous.Value;
            int rc = ClApi.Api.WaitForEvents(1, &p);
            previous.Dispose();
            ClApi.Check(rc, _device.Id, "clWaitForEvents(queue depth)");
            Prune();
        }
    }

    /// <summary>Commands queued since the last backpressure marker (for tests).</summary>
    internal int UnmarkedCommands => _sinceMark;

    /// <summary>Keeps an object (a temporary buffer) alive until the work queued so far has completed.</summary>
    public void KeepUntilDone(object item)
    {
        nint ev;
        ClApi.Check(ClApi.Api.EnqueueMarkerWithWaitList(Queue.Value, 0, null, &ev), _device.Id);
        _pending.Add((new ClHandle(ev, ClHandle.ClKind.Event), item));
        Prune();
    }

    protected override void WriteCore(DeviceBuffer destination, long byteOffset, ReadOnlySpan<byte> source)
    {
        var dst = (OpenCLBuffer)destination;
        if (source.Length > LargeWrite)
        {
            // A large write would double the host memory in staging: write blocking, straight from the caller's span.
            fixed (byte* p = source)
            {
                ClApi.Check(ClApi.Api.EnqueueWriteBuffer(Queue.Value, dst.Mem.Value, true, (nuint)byteOffset, (nuint)source.Length, p, 0, null, null), _device.Id);
            }

            return;
        }

        byte[] staging = GC.AllocateUninitializedArray<byte>(source.Length, pinned: true);
        source.CopyTo(staging);
        nint ev;
        fixed (byte* p = staging)
        {
            ClApi.Check(ClApi.Api.EnqueueWriteBuffer(Queue.Value, dst.Mem.Value, false, (nuint)byteOffset, (nuint)source.Length, p, 0, null, &ev), _device.Id);
        }

        _pending.Add((new ClHandle(ev, ClHandle.ClKind.Event), staging));
        Prune();
        Throttle();
    }

    protected override void ReadCore(DeviceBuffer source, long byteOffset, Span<byte> destination)
    {
        var src = (OpenCLBuffer)source;
        fixed (byte* p = destination)
        {
            ClApi.Check(ClApi.Api.EnqueueReadBuffer(Queue.Value, src.Mem.Value, true, (nuint)byteOffset, (nuint)destination.Length, p, 0, null, null), _device.Id);
        }

        ReleasePending();
    }

    protected override void CopyCore(DeviceBuffer source, long sourceByteOffset, DeviceBuffer destination, long destinationByteOffset, long byteCount)
    {
        ClApi.Check(ClApi.Api.EnqueueCopyBuffer(Queue.Value, ((OpenCLBuffer)source).Mem.Value, ((OpenCLBuffer)destination).Mem.Value,
            (nuint)sourceByteOffset, (nuint)destinationByteOffset, (nuint)byteCount, 0, null, null), _device.Id);
        Throttle();
    }

    protected override void FillCore(DeviceBuffer destination, long byteOffset, long byteCount, ReadOnlySpan<byte> pattern)
    {
        fixed (byte* p = pattern)
        {
            ClApi.Check(ClApi.Api.EnqueueFillBuffer(Queue.Value, ((OpenCLBuffer)destination).Mem.Value, p, (nuint)pattern.Length,
                (nuint)byteOffset, (nuint)byteCount, 0, null, null), _device.Id);
        }

        Throttle();
    }

    protected override DeviceEvent RecordCore()
    {
        nint ev;
        ClApi.Check(ClApi.Api.EnqueueMarkerWithWaitList(Queue.Value, 0, null, &ev), _device.Id);
        ClApi.Check(ClApi.Api.Flush(Queue.Value), _device.Id);
        return new OpenCLEvent(_device, new ClHandle(ev, ClHandle.ClKind.Event));
    }

    protected override void WaitCore(DeviceEvent deviceEvent)
    {
        var e = (OpenCLEvent)deviceEvent;
        nint ev = e.Handle.Value;

        // Hold our own reference so the caller may dispose its event before the barrier has run.
        ClApi.Check(ClApi.Api.RetainEvent(ev), _device.Id);
        _pending.Add((new ClHandle(ev, ClHandle.ClKind.Event), null));
        ClApi.Check(ClApi.Api.EnqueueBarrierWithWaitList(Queue.Value, 1, &ev, null), _device.Id);
    }

    protected override void SynchronizeCore()
    {
        ClApi.Check(ClApi.Api.Finish(Queue.Value), _device.Id);
        ReleasePending();
    }

    protected override void DisposeCore()
    {
        ClApi.Api.Finish(Queue.Value);
        ReleasePending();
        Queue.Dispose();
    }

    private void Prune()
    {
        for (int i = _pending.Count - 1; i >= 0; i--)
        {
            int status;
            ClApi.Check(ClApi.Api.GetEventInfo(_pending[i].Event.Value, (Silk.NET.OpenCL.EventInfo)ClConst.CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(int), &status, null), _device.Id);
            if (status <= ClConst.CL_COMPLETE)
            {
                _pending[i].Event.Dispose();
                _pending.RemoveAt(i);
            }
        }
    }

    private void ReleasePending()
    {
        _mark?.Dispose();
        _mark = null;
        _sinceMark = 0;
        foreach ((ClHandle ev, _) in _pending)
        {
            ev.Dispose();
        }

        _pending.Clear();
    }
}
