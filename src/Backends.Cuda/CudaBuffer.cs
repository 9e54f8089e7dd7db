using ILGPU;
using ILGPU.Runtime;

namespace Backends.Cuda;

/// <summary>Device memory as ILGPU bytes; views reinterpret it per dtype. Counted against the device's memory budget.</summary>
internal sealed class CudaBuffer : DeviceBuffer
{
    private readonly CudaDevice _device;
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> _memory;
    private readonly long _bytes;

    public CudaBuffer(CudaDevice device, DType dtype, long length, MemoryBuffer1D<byte, Stride1D.Dense> memory, long bytes)
        : base(device, dtype, length)
    {
        _device = device;
        _memory = memory;
        _bytes = bytes;
    }

    /// <summary>All bytes of the buffer.</summary>
    public ArrayView<byte> Bytes => _memory.View;

    /// <summary>The device address of byte 0 (a CUdeviceptr on a GPU), for libraries such as cuBLAS.</summary>
    public nint Address => _memory.NativePtr;

    protected override void DisposeCore()
    {
        // ILGPU frees CUDA memory with cuMemFree, which waits for work that uses it; the CPU accelerator runs work
        // synchronously. Either way queued work never sees freed memory.
        _memory.Dispose();
        _device.ReturnMemory(_bytes);
    }
}
