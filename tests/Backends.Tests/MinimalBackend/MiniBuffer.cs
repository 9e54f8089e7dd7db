using System;
using System.Runtime.InteropServices;

namespace Backends.Tests.MinimalBackend;

/// <summary>Host memory standing in for device memory.</summary>
internal sealed unsafe class MiniBuffer : DeviceBuffer
{
    public MiniBuffer(MiniDevice device, DType dtype, long length)
        : base(device, dtype, length) => Pointer = (nint)NativeMemory.AllocZeroed((nuint)Math.Max(1, length * dtype.SizeInBytes()));

    public nint Pointer { get; private set; }

    public Span<byte> Bytes(long byteOffset, long count) => new((byte*)Pointer + byteOffset, checked((int)count));

    protected override void DisposeCore()
    {
        MiniDevice.RequireBound();
        NativeMemory.Free((void*)Pointer);
        Pointer = 0;
    }
}
