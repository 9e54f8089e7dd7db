using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>An AscendCL event recorded on a stream, created with ACL_EVENT_SYNC | ACL_EVENT_TIME_LINE so it can time.</summary>
internal sealed unsafe class CannEvent : DeviceEvent
{
    private readonly CannDevice _device;
    private nint _handle;

    public CannEvent(CannDevice device, nint handle)
        : base(device)
    {
        _device = device;
        _handle = handle;
    }

    public nint Handle => _handle;

    protected override bool IsCompleteCore()
    {
        int status = 0;
        CannErrors.Check(Acl.aclrtQueryEventStatus(_handle, &status), "aclrtQueryEventStatus");
        return status == Acl.EventComplete;
    }

    protected override void SynchronizeCore() => CannErrors.Check(Acl.aclrtSynchronizeEvent(_handle), "aclrtSynchronizeEvent");

    protected override double ElapsedNanosecondsCore(DeviceEvent start)
    {
        float ms = 0;
        CannErrors.Check(Acl.aclrtEventElapsedTime(&ms, ((CannEvent)start)._handle, _handle), "aclrtEventElapsedTime");
        return ms * 1e6;
    }

    protected override void Dispose(bool disposing)
    {
        nint h = System.Threading.Interlocked.Exchange(ref _handle, 0);
        if (h != 0 && !_device.IsDisposed)
        {
            using DeviceContextScope scope = _device.EnterContext();
            _ = Acl.aclrtDestroyEvent(h);
        }

        base.Dispose(disposing);
    }
}
