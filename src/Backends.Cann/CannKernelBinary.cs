using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// A compiled AscendC kernel binary loaded with <c>aclrtBinaryLoadFromFile</c> (native/cann/kernels builds one with the
/// CANN toolchain). Dispose it to unload (<c>aclrtBinaryUnLoad</c>); its kernels refuse use afterwards.
/// </summary>
public sealed unsafe class CannKernelBinary : IDisposable
{
    private readonly CannDevice _device;
    private nint _handle;

    internal CannKernelBinary(CannDevice device, nint handle, string path)
    {
        _device = device;
        _handle = handle;
        Path = path;
    }

    /// <summary>The file it was loaded from.</summary>
    public string Path { get; }

    /// <summary>Whether it has been unloaded.</summary>
    public bool IsDisposed => Volatile.Read(ref _handle) == 0;

    internal CannDevice Device => _device;

    /// <summary>Looks a kernel up by name (<c>aclrtBinaryGetFunction</c>).</summary>
    /// <param name="name">The kernel's symbol (<c>extern "C" __global__ __aicore__</c> name).</param>
    /// <returns>The kernel, with no arguments set.</returns>
    public CannKernel GetKernel(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ObjectDisposedException.ThrowIf(_device.IsDisposed, _device);
        using DeviceContextScope scope = _device.EnterContext();
        nint fn = 0;
        CannErrors.Check(Acl.aclrtBinaryGetFunction(_handle, name, &fn), "aclrtBinaryGetFunction");
        return new CannKernel(this, name, fn);
    }

    /// <summary>Unloads the binary.</summary>
    public void Dispose()
    {
        nint h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0 && !_device.IsDisposed)
        {
            using DeviceContextScope scope = _device.EnterContext();
            CannErrors.Check(Acl.aclrtBinaryUnLoad(h), "aclrtBinaryUnLoad");
        }
    }
}

/// <summary>
/// One kernel of a <see cref="CannKernelBinary"/>. Arguments are 8-byte slots, as AscendC kernels take them (device
/// addresses as <c>GM_ADDR</c>, scalars widened to 8 bytes); every slot up to the highest set must be set before
/// <see cref="Launch"/>, which queues <c>aclrtLaunchKernel</c> on the stream.
/// </summary>
public sealed unsafe class CannKernel
{
    /// <summary>Most argument slots.</summary>
    public const int MaxArguments = 64;

    private readonly CannKernelBinary _binary;
    private readonly nint _function;
    private readonly SortedDictionary<int, long> _args = [];

    /// <summary>The slots set by <see cref="SetBuffer"/>, and their buffers (checked at every launch).</summary>
    private readonly Dictionary<int, DeviceBuffer> _buffers = [];

    internal CannKernel(CannKernelBinary binary, string name, nint function)
    {
        _binary = binary;
        Name = name;
        _function = function;
    }

    /// <summary>The kernel's name.</summary>
    public string Name { get; }

    /// <summary>Sets slot <paramref name="index"/> to the device address of an element of a buffer of this device.</summary>
    /// <param name="index">The slot.</param>
    /// <param name="buffer">The buffer.</param>
    /// <param name="elementOffset">The element the address points at.</param>
    /// <returns>This kernel.</returns>
    public CannKernel SetBuffer(int index, DeviceBuffer buffer, long elementOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        if (!ReferenceEquals(buffer.Device, _binary.Device))
        {
            throw new DeviceMismatchException(nameof(buffer), _binary.Device.Id, buffer.Device.Id);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(elementOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementOffset, buffer.Length);
        Set(index, ((CannBuffer)buffer).AddressOf(elementOffset));
        _buffers[index] = buffer; // checked (and held) at each launch: a buffer disposed since is refused, not passed on
        return this;
    }

    /// <summary>Sets slot <paramref name="index"/> to an integer (sign-extended to 8 bytes).</summary>
    /// <param name="index">The slot.</param>
    /// <param name="value">The value.</param>
    /// <returns>This kernel.</returns>
    public CannKernel SetArg(int index, long value) => Set(index, value);

    /// <summary>Sets slot <paramref name="index"/> to a float (its 4 bytes in the low half of the slot).</summary>
    /// <param name="index">The slot.</param>
    /// <param name="value">The value.</param>
    /// <returns>This kernel.</returns>
    public CannKernel SetArg(int index, float value) => Set(index, (uint)BitConverter.SingleToInt32Bits(value));

    private CannKernel Set(int index, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxArguments);
        _args[index] = value;
        _buffers.Remove(index);
        return this;
    }

    /// <summary>Queues the kernel on <paramref name="stream"/> with <paramref name="blocks"/> blocks.</summary>
    /// <param name="stream">A stream of the binary's device.</param>
    /// <param name="blocks">Number of blocks (≥ 1), usually the AI-core count.</param>
    public void Launch(DeviceStream stream, uint blocks)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ObjectDisposedException.ThrowIf(_binary.IsDisposed, _binary);
        ArgumentOutOfRangeException.ThrowIfZero(blocks);
        if (!ReferenceEquals(stream.Device, _binary.Device))
        {
            throw new DeviceMismatchException(nameof(stream), _binary.Device.Id, stream.Device.Id);
        }

        int count = _args.Count == 0 ? 0 : _args.Keys.Max() + 1;
        var slots = new long[count];
        for (int i = 0; i < count; i++)
        {
            if (!_args.TryGetValue(i, out slots[i]))
            {
                throw new InvalidOperationException($"Argument {i} of kernel {Name} is not set.");
            }
        }

        using StreamUseScope use = stream.EnterUse();
        foreach ((int index, DeviceBuffer buffer) in _buffers)
        {
            stream.CheckBuffer(buffer, $"argument {index}"); // disposed since SetBuffer: refused; else held for the launch
        }

        fixed (long* p = slots)
        {
            CannErrors.Check(Acl.aclrtLaunchKernel(_function, blocks, p, (nuint)(count * 8), ((CannStream)stream).Handle), "aclrtLaunchKernel");
        }
    }
}
