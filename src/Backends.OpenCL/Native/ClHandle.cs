using System;
using System.Runtime.InteropServices;

namespace Backends.OpenCL;

/// <summary>An owned OpenCL object (context, queue, buffer, program, kernel or event), released exactly once.</summary>
internal sealed class ClHandle : SafeHandle
{
    public ClHandle(nint handle, ClKind kind)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(handle);
        Kind = kind;
    }

    public enum ClKind
    {
        Context,
        Queue,
        Mem,
        Program,
        Kernel,
        Event,
    }

    public ClKind Kind { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The raw handle; callers keep this object alive while they use it.</summary>
    /// <exception cref="ObjectDisposedException">The handle was released: a released handle is never passed to the driver.</exception>
    public nint Value
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    protected override bool ReleaseHandle()
    {
        var api = ClApi.Api;
        int rc = Kind switch
        {
            ClKind.Context => api.ReleaseContext(handle),
            ClKind.Queue => api.ReleaseCommandQueue(handle),
            ClKind.Mem => api.ReleaseMemObject(handle),
            ClKind.Program => api.ReleaseProgram(handle),
            ClKind.Kernel => api.ReleaseKernel(handle),
            _ => api.ReleaseEvent(handle),
        };
        return rc == ClConst.CL_SUCCESS;
    }
}
