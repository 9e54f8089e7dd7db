using System;

namespace Backends;

/// <summary>Device memory holding <see cref="Length"/> elements of one <see cref="DType"/>, owned by one <see cref="Backends.Device"/>.</summary>
public abstract class DeviceBuffer : IDisposable
{
    private int _disposed;

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

    /// <summary>Releases the memory. Work already queued that uses the buffer completes first (the backend keeps the memory alive until then).</summary>
    public void Dispose()
    {
        if (System.Threading.Interlocked.Exchange(ref _disposed, 1) != 0)
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
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{DType.ToShortName()}[{Length}] on {Device.Id}";

    /// <summary>Releases the backend memory (once; the device's context is bound unless the device is already disposed).</summary>
    protected abstract void DisposeCore();
}
