using System;

namespace Backends.OpenCL;

/// <summary>A cl_event from a marker; its time is the device's profiling clock (CL_PROFILING_COMMAND_END).</summary>
internal sealed unsafe class OpenCLEvent : DeviceEvent
{
    public OpenCLEvent(OpenCLDevice device, ClHandle handle)
        : base(device) => Handle = handle;

    public ClHandle Handle { get; }

    protected override bool IsCompleteCore() => Status() <= ClConst.CL_COMPLETE;

    protected override double ElapsedNanosecondsCore(DeviceEvent start) => (double)End() - ((OpenCLEvent)start).End();

    protected override void SynchronizeCore()
    {
        nint h = Handle.Value;
        int rc = ClApi.Api.WaitForEvents(1, &h);
        int status = Status();
        if (status < 0 || rc != ClConst.CL_SUCCESS)
        {
            throw new StreamFaultedException("opencl", $"Work before an event on {Device.Id} failed: {ClErrors.Name(status < 0 ? status : rc)}", null);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Handle.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>CL_PROFILING_COMMAND_END of the marker: the device's profiling clock, in nanoseconds.</summary>
    private ulong End()
    {
        ulong end;
        ClApi.Check(ClApi.Api.GetEventProfilingInfo(Handle.Value, (Silk.NET.OpenCL.ProfilingInfo)ClConst.CL_PROFILING_COMMAND_END, sizeof(ulong), &end, null), Device.Id);
        return end;
    }

    private int Status()
    {
        int status;
        ClApi.Check(ClApi.Api.GetEventInfo(Handle.Value, (Silk.NET.OpenCL.EventInfo)ClConst.CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(int), &status, null), Device.Id);
        return status;
    }
}
