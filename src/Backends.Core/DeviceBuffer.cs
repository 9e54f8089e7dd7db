using System;

namespace Backends;

/// <summary>Device memory holding <see cref="Length"/> elements of one <see cref="DType"/>, owned by one <see cref="Backends.Device"/>.</summary>
public abstract class DeviceBuffer : IDisposable
{
    private int _disposed;

    /// <summary>Calls in progress that use the buffer (<see cref="TryHold"/>): the memory is released after the last.</summary>
    private int _holds;

    /// <summary>Set once the memory is released (by <see cref="Dispose()"/>, or by the last hold after it).</summary>
    private int _released;

    /// <summary>Creates the buffer object; the subclass owns the memory.</summary>
    /// <param name="device">The owning device.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="length">The number of elements.</param>
    protected DeviceBuffer(Device device, DType dtype, long length)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        DType = dtype;
        Length = length;
    }

    /// <summary>The owning device.</summary>
    public Device Device { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The size in bytes.</summary>
    public long SizeInBytes => Length * DType.SizeInBytes();

    /// <summary>Whether <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed => _disposed != 0;

    /// <summary>A row-major view over the whole buffer.</summary>
    /// <param name="shape">The dimensions; their product must equal <see cref="Length"/>. None means a 1-D view.</param>
    /// <returns>The view.</returns>
    /// <exception cref="ArgumentException">The shape does not cover the buffer exactly.</exception>
    public TensorView View(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0)
        {
            if (Length > int.MaxValue)
            {
                throw new ArgumentException("The buffer is longer than int.MaxValue elements: give a shape.", nameof(shape));
            }

            shape = [(int)Length];
        }

        if (TensorView.CountElements(shape) != Length)
        {
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] has {TensorView.CountElements(shape)} elements; the buffer has {Length}.", nameof(shape));
        }

        return new TensorView(this, 0, shape);
    }

    /// <summary>
    /// Releases the memory. Work already queued that uses the buffer completes first (the backend keeps the memory alive
    /// until then). A call that another thread is making with the buffer at that moment (a write to it, an op reading
    /// it) keeps it until that call returns: the memory is released then, never under the call's native work. Calls
    /// that start afterwards get <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (System.Threading.Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        GC.SuppressFinalize(this);

        // Either a hold taken before this point is seen here (and its release frees the memory), or the holder sees
        // the buffer disposed and backs off: both sides write their flag before reading the other's, with full fences.
        if (System.Threading.Volatile.Read(ref _holds) == 0)
        {
            Release();
        }
    }

    /// <summary>
    /// Marks the buffer as used by a call in progress (the stream's <see cref="DeviceStream.CheckBuffer"/> does, for the
    /// call's buffers): a <see cref="Dispose()"/> meanwhile defers the release to <see cref="Unhold"/>.
    /// </summary>
    /// <returns>False when the buffer is disposed (nothing is held then).</returns>
    internal bool TryHold()
    {
        System.Threading.Interlocked.Increment(ref _holds);
        if (System.Threading.Volatile.Read(ref _disposed) != 0)
        {
            Unhold();
            return false;
        }

        return true;
    }

    /// <summary>Ends a <see cref="TryHold"/>; the last one after a dispose releases the memory.</summary>
    internal void Unhold()
    {
        if (System.Threading.Interlocked.Decrement(ref _holds) == 0 && System.Threading.Volatile.Read(ref _disposed) != 0)
        {
            Release();
        }
    }

    private void Release()
    {
        if (System.Threading.Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        if (Device.IsDisposed)
        {
            DisposeCore();
        }
        else
        {
            using DeviceContextScope scope = Device.EnterContext();
            DisposeCore();
        }

        Device.Untrack(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{DType.ToShortName()}[{Length}] on {Device.Id}";

    /// <summary>Releases the backend memory (once; the device's context is bound unless the device is already disposed).</summary>
    protected abstract void DisposeCore();
}
