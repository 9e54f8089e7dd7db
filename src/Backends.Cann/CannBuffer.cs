using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>Device memory from <c>aclrtMalloc</c>, freed with <c>aclrtFree</c> once the device has passed the work queued before.</summary>
internal sealed class CannBuffer : DeviceBuffer
{
    private readonly CannDevice _device;
    private readonly long _bytes;

    public CannBuffer(CannDevice device, DType dtype, long length, nint address, long bytes)
        : base(device, dtype, length)
    {
        _device = device;
        Address = address;
        _bytes = bytes;
    }

    /// <summary>The device address of byte 0.</summary>
    public nint Address { get; }

    /// <summary>Bytes allocated (at least 32).</summary>
    public long AllocatedBytes => _bytes;

    /// <summary>The device address of an element.</summary>
    public nint AddressOf(long elementOffset) => Address + (nint)(elementOffset * DType.SizeInBytes());

    protected override void DisposeCore()
    {
        // Queued work on any stream may still read this memory: let the device pass it before the memory goes back.
        _ = Acl.aclrtSynchronizeDevice();
        try
        {
            CannErrors.Check(Acl.aclrtFree(Address), "aclrtFree");
        }
        finally
        {
            _device.ReturnMemory(_bytes);
        }
    }
}
