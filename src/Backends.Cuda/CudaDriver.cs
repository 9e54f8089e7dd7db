using System;
using System.Runtime.InteropServices;

namespace Backends.Cuda;

/// <summary>The few driver calls ILGPU does not expose: event queries.</summary>
internal static unsafe class CudaDriver
{
    private const int CUDA_SUCCESS = 0;
    private const int CUDA_ERROR_NOT_READY = 600;

    private static readonly System.Reflection.PropertyInfo? EventPtr =
        typeof(ILGPU.Context).Assembly.GetType("ILGPU.Runtime.Cuda.CudaProfilingMarker")?.GetProperty("EventPtr",
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);

    /// <summary>The CUevent of a CUDA profiling marker, or null for another kind of marker.</summary>
    public static nint? EventOf(ILGPU.Runtime.ProfilingMarker marker) =>
        EventPtr is not null && EventPtr.DeclaringType!.IsInstanceOfType(marker) ? (nint)EventPtr.GetValue(marker)! : null;

    /// <summary>CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags): later work on the stream waits for the event.</summary>
    public static void StreamWaitEvent(nint stream, nint cuEvent)
    {
        nint fn = NativeLibrary.GetExport(CudaLibrary.Handle, "cuStreamWaitEvent");
        int rc = ((delegate* unmanaged<nint, nint, uint, int>)fn)(stream, cuEvent, 0);
        if (rc != CUDA_SUCCESS)
        {
            throw new NativeCallException("cuda", rc, $"CUresult {rc}", "cuStreamWaitEvent");
        }
    }

    /// <summary>cuEventQuery: true once the event has completed, false while pending.</summary>
    public static bool EventQuery(nint cuEvent)
    {
        nint fn = NativeLibrary.GetExport(CudaLibrary.Handle, "cuEventQuery");
        int rc = ((delegate* unmanaged<nint, int>)fn)(cuEvent); // CUresult cuEventQuery(CUevent hEvent)
        return rc switch
        {
            CUDA_SUCCESS => true,
            CUDA_ERROR_NOT_READY => false,
            _ => throw new NativeCallException("cuda", rc, $"CUresult {rc}", "cuEventQuery"),
        };
    }
}
