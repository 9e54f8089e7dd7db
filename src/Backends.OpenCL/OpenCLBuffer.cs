namespace Backends.OpenCL;

/// <summary>
/// A cl_mem. OpenCL keeps the memory alive while enqueued commands still use it, so disposing is always safe. Its
/// bytes count against the device's memory budget until it is disposed.
/// </summary>
internal sealed class OpenCLBuffer : DeviceBuffer
{
    private readonly OpenCLDevice _device;
    private readonly long _accountedBytes;

    public OpenCLBuffer(OpenCLDevice device, DType dtype, long length, ClHandle mem, long accountedBytes)
        : base(device, dtype, length)
    {
        _device = device;
        Mem = mem;
        _accountedBytes = accountedBytes;
    }

    public ClHandle Mem { get; }

    protected override void DisposeCore()
    {
        Mem.Dispose();
        _device.ReturnMemory(_accountedBytes);
    }
}
