using System;
using ILGPU.Runtime;

namespace Backends.Cuda;

/// <summary>An ILGPU profiling marker: a CUDA event on a GPU, a host timestamp on the emulator. Elapsed time comes from <c>MeasureFrom</c>.</summary>
internal sealed class CudaEvent : DeviceEvent
{
    private readonly CudaStream _stream;

    public CudaEvent(CudaDevice device, CudaStream stream, ProfilingMarker marker)
        : base(device)
    {
        _stream = stream;
        Marker = marker;
    }

    public ProfilingMarker Marker { get; }

    /// <summary>
    /// On the emulator work has run when it was queued. On a GPU the marker's CUevent is queried without blocking;
    /// ILGPU keeps that handle internal, so it is read once by reflection (EventPtr).
    /// </summary>
    protected override bool IsCompleteCore() =>
        CudaDriver.EventOf(Marker) is not { } ev || CudaDriver.EventQuery(ev);

    protected override void SynchronizeCore()
    {
        Marker.Synchronize();
        _stream.ThrowIfFaulted();
    }

    protected override double ElapsedNanosecondsCore(DeviceEvent start) => Marker.MeasureFrom(((CudaEvent)start).Marker).TotalMilliseconds * 1e6;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Marker.Dispose();
        }

        base.Dispose(disposing);
    }
}
