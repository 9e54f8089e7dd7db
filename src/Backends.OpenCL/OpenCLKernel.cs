using System;
using System.Collections.Generic;

namespace Backends.OpenCL;

/// <summary>
/// A user kernel: set its arguments (buffers, scalars, local memory), then launch it on a stream. Views carry an
/// element offset that the kernel does not see: pass <see cref="TensorView.Offset"/> as an argument of its own.
/// One thread at a time may set arguments and launch.
/// </summary>
public sealed class OpenCLKernel : IDisposable
{
    private readonly OpenCLDevice _device;
    private readonly KernelSlot _slot;
    private readonly SortedDictionary<int, KArg> _args = [];

    internal OpenCLKernel(OpenCLDevice device, KernelSlot slot)
    {
        _device = device;
        _slot = slot;
    }

    /// <summary>The entry point name.</summary>
    public string Name => _slot.Name;

    /// <summary>Sets a buffer argument (<c>__global T*</c>).</summary>
    /// <param name="index">Argument index.</param>
    /// <param name="buffer">A buffer of this device.</param>
    /// <returns>This kernel.</returns>
    /// <exception cref="DeviceMismatchException">The buffer belongs to another device.</exception>
    public OpenCLKernel SetBuffer(int index, DeviceBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (!ReferenceEquals(buffer.Device, _device))
        {
            throw new DeviceMismatchException(nameof(buffer), _device.Id, buffer.Device.Id);
        }

        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        _args[index] = KArg.Mem(((OpenCLBuffer)buffer).Mem);
        return this;
    }

    /// <summary>Sets an <c>int</c> argument.</summary>
    /// <param name="index">Argument index.</param>
    /// <param name="value">The value.</param>
    /// <returns>This kernel.</returns>
    public OpenCLKernel SetArg(int index, int value) => Set(index, value);

    /// <summary>Sets a <c>long</c> argument.</summary>
    /// <param name="index">Argument index.</param>
    /// <param name="value">The value.</param>
    /// <returns>This kernel.</returns>
    public OpenCLKernel SetArg(int index, long value) => Set(index, value);

    /// <summary>Sets a <c>float</c> argument.</summary>
    /// <param name="index">Argument index.</param>
    /// <param name="value">The value.</param>
    /// <returns>This kernel.</returns>
    public OpenCLKernel SetArg(int index, float value) => Set(index, value);

    /// <summary>Sets a <c>__local</c> argument of the given size.</summary>
    /// <param name="index">Argument index.</param>
    /// <param name="bytes">Bytes of local memory per work-group.</param>
    /// <returns>This kernel.</returns>
    public OpenCLKernel SetLocal(int index, int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return Set(index, KArg.Local(bytes));
    }

    /// <summary>Enqueues the kernel with the arguments set so far.</summary>
    /// <param name="stream">A stream of this kernel's device.</param>
    /// <param name="global">Global work size per dimension (1 to 3 dimensions).</param>
    /// <param name="local">Work-group size per dimension, or empty to let the driver choose.</param>
    /// <exception cref="ArgumentException">Bad sizes or a gap in the argument indices.</exception>
    /// <exception cref="OpenCLException">The enqueue failed (e.g. CL_INVALID_KERNEL_ARGS, CL_INVALID_WORK_GROUP_SIZE).</exception>
    public void Launch(DeviceStream stream, ReadOnlySpan<long> global, ReadOnlySpan<long> local = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!ReferenceEquals(stream.Device, _device))
        {
            throw new DeviceMismatchException(nameof(stream), _device.Id, stream.Device.Id);
        }

        if (global.Length is < 1 or > 3 || (!local.IsEmpty && local.Length != global.Length))
        {
            throw new ArgumentException("Give 1 to 3 global sizes, and as many local sizes (or none).", nameof(global));
        }

        var g = new nuint[global.Length];
        var l = new nuint[local.Length];
        for (int i = 0; i < global.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(global[i], nameof(global));
            g[i] = (nuint)global[i];
            if (!local.IsEmpty)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(local[i], nameof(local));
                l[i] = (nuint)local[i];
            }
        }

        var args = new KArg[_args.Count];
        int n = 0;
        foreach ((int index, KArg arg) in _args)
        {
            if (index != n)
            {
                throw new ArgumentException($"Kernel '{Name}': argument {n} was never set.", nameof(global));
            }

            args[n++] = arg;
        }

        using StreamUseScope use = stream.EnterUse(); // one thread at a time on the stream, as every stream call
        _slot.Launch((OpenCLStream)stream, g, l, args);
    }

    /// <summary>Releases the kernel object.</summary>
    public void Dispose() => _slot.Handle.Dispose();

    private OpenCLKernel Set(int index, KArg arg)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        _args[index] = arg;
        return this;
    }
}
