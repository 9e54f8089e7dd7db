namespace Backends.OpenCL;

/// <summary>A cl_mem. OpenCL keeps the memory alive while enqueued commands still use it, so disposing is always safe.</summary>
internal sealed class OpenCLBuffer : DeviceBuffer
{
    public OpenCLBuffer(OpenCLDevice device, DType dtype, long length, ClHandle mem)
        : base(device, dtype, length) => Mem = mem;

    public ClHandle Mem { get; }

    protected override void DisposeCore() => Mem.Dispose();
}
