using System;
using System.Threading;

namespace Backends.Cpu;

/// <summary>
/// 64-byte aligned native memory (<see cref="CpuMemory"/>: 2 MiB aligned and advised for huge pages from 4 MiB on
/// Linux). Reference counted: work queued on a stream holds a reference, so disposing the buffer while work that uses
/// it is still queued frees the memory only after that work has run.
/// </summary>
internal sealed unsafe class CpuBuffer : DeviceBuffer
{
    private readonly nint _pointer;
    private int _refs = 1;

    public CpuBuffer(CpuDevice device, DType dtype, long length)
        : base(device, dtype, length)
    {
        long bytes = Math.Max(length * dtype.SizeInBytes(), 1);
        try
        {
            _pointer = (nint)CpuMemory.Allocate(bytes);
        }
        catch (OutOfMemoryException ex)
        {
            throw new OutOfDeviceMemoryException(device.Id, bytes, innerException: ex);
        }
    }

    /// <summary>The address of element 0; valid while a reference is held.</summary>
    public nint Pointer => _pointer;

    /// <summary>Takes a reference unless the memory is already freed (never resurrects a count that reached 0).</summary>
    public bool TryAddRef()
    {
        int r;
        do
        {
            r = Volatile.Read(ref _refs);
            if (r <= 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _refs, r + 1, r) != r);
        return true;
    }

    /// <summary>Takes a reference for work that touches the memory; <see cref="ObjectDisposedException"/> once it is freed.</summary>
    public void AddRef()
    {
        if (!TryAddRef())
        {
            throw new ObjectDisposedException(ToString(), "The buffer was disposed.");
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            CpuMemory.Free((void*)_pointer);
        }
    }

    protected override void DisposeCore() => Release();
}
