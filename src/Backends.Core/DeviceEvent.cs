using System;

namespace Backends;

/// <summary>
/// A point in a stream's queue, recorded by <see cref="DeviceStream.Record"/>. Completes when all work queued
/// before it has completed; two completed events of one device give the elapsed device time between them.
/// </summary>
public abstract class DeviceEvent : IDisposable
{
    /// <summary>Creates the event object.</summary>
    /// <param name="device">The owning device.</param>
    protected DeviceEvent(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
    }

    /// <summary>The owning device.</summary>
    public Device Device { get; }

    /// <summary>Whether the work before the event has completed (does not block).</summary>
    public abstract bool IsComplete { get; }

    /// <summary>Blocks until the event completes.</summary>
    /// <exception cref="StreamFaultedException">Work before the event failed.</exception>
    public abstract void Synchronize();

    /// <summary>The time from <paramref name="start"/> to this event, on the device's clock where the backend has one (waits for both events).</summary>
    /// <param name="start">An earlier event of the same device.</param>
    /// <returns>The elapsed time; negative when <paramref name="start"/> completed later.</returns>
    /// <exception cref="DeviceMismatchException">The events belong to different devices.</exception>
    public TimeSpan ElapsedSince(DeviceEvent start)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (!ReferenceEquals(start.Device, Device))
        {
            throw new DeviceMismatchException(nameof(start), Device.Id, start.Device.Id);
        }

        start.Synchronize();
        Synchronize();
        return TimeSpan.FromTicks((long)Math.Round((TimestampNanoseconds - start.TimestampNanoseconds) / 100.0));
    }

    /// <summary>Elapsed time from <paramref name="start"/> in milliseconds, at the clock's full resolution.</summary>
    /// <param name="start">An earlier event of the same device.</param>
    /// <returns>Milliseconds.</returns>
    public double ElapsedMillisecondsSince(DeviceEvent start)
    {
        _ = ElapsedSince(start);
        return (TimestampNanoseconds - start.TimestampNanoseconds) / 1e6;
    }

    /// <summary>Releases the event's native handle, if any.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The completion time in nanoseconds on the device's clock (any origin); valid once complete.</summary>
    protected internal abstract double TimestampNanoseconds { get; }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
