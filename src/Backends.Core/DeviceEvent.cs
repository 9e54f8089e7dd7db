using System;
using System.Threading;

namespace Backends;

/// <summary>
/// A point in a stream's queue, recorded by <see cref="DeviceStream.Record"/>. Completes when all work queued
/// before it has completed; two completed events of one device give the elapsed device time between them.
/// </summary>
/// <remarks>
/// Backends implement the time <em>between</em> two events (<see cref="ElapsedNanosecondsCore"/>), not an absolute
/// timestamp: that is what CUDA (<c>cuEventElapsedTime</c>), AscendCL (<c>aclrtEventElapsedTime</c>) and ILGPU's
/// profiling markers give. A disposed event refuses every call with <see cref="ObjectDisposedException"/>.
/// </remarks>
public abstract class DeviceEvent : IDisposable
{
    private int _disposed;

    /// <summary>Creates the event object.</summary>
    /// <param name="device">The owning device.</param>
    protected DeviceEvent(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
    }

    /// <summary>The owning device.</summary>
    public Device Device { get; }

    /// <summary>Whether <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Whether the work before the event has completed (does not block).</summary>
    /// <exception cref="ObjectDisposedException">The event or its device is disposed.</exception>
    public bool IsComplete
    {
        get
        {
            ThrowIfDisposed();
            using DeviceContextScope scope = Device.EnterContext();
            return IsCompleteCore();
        }
    }

    /// <summary>Blocks until the event completes.</summary>
    /// <exception cref="StreamFaultedException">Work before the event failed.</exception>
    /// <exception cref="ObjectDisposedException">The event or its device is disposed.</exception>
    public void Synchronize()
    {
        ThrowIfDisposed();
        using DeviceContextScope scope = Device.EnterContext();
        SynchronizeCore();
    }

    /// <summary>The time from <paramref name="start"/> to this event, on the device's clock where the backend has one (waits for both events).</summary>
    /// <param name="start">An earlier event of the same device.</param>
    /// <returns>The elapsed time, rounded to 100 ns ticks; negative when <paramref name="start"/> completed later.</returns>
    /// <exception cref="DeviceMismatchException">The events belong to different devices.</exception>
    /// <exception cref="ObjectDisposedException">An event or the device is disposed.</exception>
    public TimeSpan ElapsedSince(DeviceEvent start) => TimeSpan.FromTicks((long)Math.Round(ElapsedNanoseconds(start) / 100.0));

    /// <summary>Elapsed time from <paramref name="start"/> in milliseconds, at the clock's full resolution (waits for both events).</summary>
    /// <param name="start">An earlier event of the same device.</param>
    /// <returns>Milliseconds.</returns>
    /// <exception cref="DeviceMismatchException">The events belong to different devices.</exception>
    /// <exception cref="ObjectDisposedException">An event or the device is disposed.</exception>
    public double ElapsedMillisecondsSince(DeviceEvent start) => ElapsedNanoseconds(start) / 1e6;

    /// <summary>Releases the event's native handle, if any. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether the work before the event has completed; never blocks.</summary>
    /// <returns>The completion state.</returns>
    protected abstract bool IsCompleteCore();

    /// <summary>Blocks until the event completes; throws <see cref="StreamFaultedException"/> when work before it failed.</summary>
    protected abstract void SynchronizeCore();

    /// <summary>
    /// Nanoseconds from <paramref name="start"/> to this event. Both events are complete, undisposed and of this device
    /// (of this backend's event type); the device's context is bound.
    /// </summary>
    /// <param name="start">The earlier event.</param>
    /// <returns>Nanoseconds (negative when <paramref name="start"/> completed later).</returns>
    protected abstract double ElapsedNanosecondsCore(DeviceEvent start);

    /// <summary>Releases resources (called once).</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> once the event or its device is disposed.</summary>
    protected void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ObjectDisposedException.ThrowIf(Device.IsDisposed, Device);
    }

    private double ElapsedNanoseconds(DeviceEvent start)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (!ReferenceEquals(start.Device, Device))
        {
            throw new DeviceMismatchException(nameof(start), Device.Id, start.Device.Id);
        }

        ThrowIfDisposed();
        start.ThrowIfDisposed();
        using DeviceContextScope scope = Device.EnterContext();
        start.SynchronizeCore();
        SynchronizeCore();
        return ElapsedNanosecondsCore(start);
    }
}
