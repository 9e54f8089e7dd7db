using System.Collections.Generic;
using System;
using System.Runtime.InteropServices;

namespace Backends.OpenCL;

/// <summary>
/// A kernel object and the lock that makes "set arguments, enqueue" atomic: cl_kernel argument state is shared, so two
/// threads launching the same kernel must not interleave.
/// </summary>
internal sealed unsafe class KernelSlot
{
    private readonly object _gate = new();

    public KernelSlot(ClHandle handle, string name)
    {
        Handle = handle;
        Name = name;
    }

    public ClHandle Handle { get; }

    public string Name { get; }

    /// <summary>Sets every argument and enqueues, under the kernel's lock.</summary>
    public void Launch(OpenCLStream stream, ReadOnlySpan<nuint> global, ReadOnlySpan<nuint> local, params KArg[] args)
    {
        // Every handle the launch passes to the driver (the kernel, each buffer) is held for the duration of the call, so a
        // dispose on another thread cannot release it between the check and the enqueue: the caller gets
        // ObjectDisposedException, the driver never sees a released handle. Once enqueued, OpenCL retains the buffers.
        var held = new List<SafeHandle>(args.Length + 1);
        try
        {
            Hold(Handle, held);
            foreach (KArg a in args)
            {
                if (a.Handle is { } h)
                {
                    Hold(h, held);
                }
            }

            lock (_gate)
            {
                for (int i = 0; i < args.Length; i++)
                {
                    args[i].Set(Handle.Value, (uint)i, stream.Device.Id, Name);
                }

                stream.Enqueue(Handle.Value, global, local);
            }
        }
        finally
        {
            foreach (SafeHandle h in held)
            {
                h.DangerousRelease();
            }
        }
    }

    private static void Hold(SafeHandle h, List<SafeHandle> held)
    {
        bool added = false;
        h.DangerousAddRef(ref added); // ObjectDisposedException once released
        if (added)
        {
            held.Add(h);
        }
    }
}

/// <summary>One kernel argument: a buffer, a scalar or a local-memory size.</summary>
internal readonly unsafe struct KArg
{
    private readonly ClHandle? _mem;
    private readonly long _bits;
    private readonly int _size;
    private readonly bool _local;

    private KArg(ClHandle? mem, long bits, int size, bool local)
    {
        _mem = mem;
        _bits = bits;
        _size = size;
        _local = local;
    }

    /// <summary>The buffer handle of a memory argument, else null.</summary>
    public ClHandle? Handle => _mem;

    public static implicit operator KArg(int v) => new(null, v, 4, false);

    public static implicit operator KArg(long v) => new(null, v, 8, false);

    public static implicit operator KArg(float v) => new(null, BitConverter.SingleToInt32Bits(v), 4, false);

    public static KArg Mem(TensorView v) => new(((OpenCLBuffer)v.Buffer).Mem, 0, 0, false);

    public static KArg Mem(ClHandle mem) => new(mem, 0, 0, false);

    public static KArg Local(int bytes) => new(null, 0, bytes, true);

    public void Set(nint kernel, uint index, string device, string kernelName)
    {
        int rc;
        if (_mem is not null)
        {
            nint h = _mem.Value;
            rc = ClApi.Api.SetKernelArg(kernel, index, (nuint)sizeof(nint), &h);
        }
        else if (_local)
        {
            rc = ClApi.Api.SetKernelArg(kernel, index, (nuint)_size, null);
        }
        else
        {
            long bits = _bits;
            rc = ClApi.Api.SetKernelArg(kernel, index, (nuint)_size, &bits);
        }

        ClApi.Check(rc, device, $"clSetKernelArg({kernelName}, {index})");
    }
}
