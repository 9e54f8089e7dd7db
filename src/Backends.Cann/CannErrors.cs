using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// AscendCL and aclnn status codes: their names, and the typed exception for a failed call (the code's name, the call,
/// and <c>aclGetRecentErrMsg()</c>). Out-of-memory codes become <see cref="OutOfDeviceMemoryException"/>.
/// </summary>
public static class CannErrors
{
    /// <summary>The backend name used in exceptions.</summary>
    internal const string Backend = "cann";

    private static readonly Dictionary<int, string> Names = new()
    {
        [0] = "ACL_SUCCESS",
        [100000] = "ACL_ERROR_INVALID_PARAM",
        [100001] = "ACL_ERROR_UNINITIALIZE",
        [100002] = "ACL_ERROR_REPEAT_INITIALIZE",
        [100037] = "ACL_ERROR_REPEAT_FINALIZE",
        [200000] = "ACL_ERROR_BAD_ALLOC",
        [200001] = "ACL_ERROR_API_NOT_SUPPORT",
        [200002] = "ACL_ERROR_INVALID_DEVICE",
        [200006] = "ACL_ERROR_FEATURE_UNSUPPORTED",
        [300000] = "ACL_ERROR_STORAGE_OVER_LIMIT",
        [500000] = "ACL_ERROR_INTERNAL_ERROR",
        [500001] = "ACL_ERROR_FAILURE",
        [500002] = "ACL_ERROR_GE_FAILURE",
        [500003] = "ACL_ERROR_RT_FAILURE",
        [500004] = "ACL_ERROR_DRV_FAILURE",
        [107000] = "ACL_ERROR_RT_PARAM_INVALID",
        [107001] = "ACL_ERROR_RT_INVALID_DEVICEID",
        [107002] = "ACL_ERROR_RT_CONTEXT_NULL",
        [107008] = "ACL_ERROR_RT_ADDR_UNALIGNED",
        [107017] = "ACL_ERROR_RT_INVALID_HANDLE",
        [207000] = "ACL_ERROR_RT_FEATURE_NOT_SUPPORT",
        [207001] = "ACL_ERROR_RT_MEMORY_ALLOCATION",
        [207004] = "ACL_ERROR_RT_NO_DEVICE",
        [207018] = "ACL_ERROR_RT_DEVICE_OOM",
        [507000] = "ACL_ERROR_RT_INTERNAL_ERROR",
        [507014] = "ACL_ERROR_RT_AICORE_TIMEOUT",
        [507015] = "ACL_ERROR_RT_AICORE_EXCEPTION",
        [161001] = "ACLNN_ERR_PARAM_NULLPTR",
        [161002] = "ACLNN_ERR_PARAM_INVALID",
        [361001] = "ACLNN_ERR_RUNTIME_ERROR",
        [561000] = "ACLNN_ERR_INNER",
        [561001] = "ACLNN_ERR_INNER_INFERSHAPE_ERROR",
        [561002] = "ACLNN_ERR_INNER_TILING_ERROR",
        [561003] = "ACLNN_ERR_INNER_FIND_KERNEL_ERROR",
    };

    /// <summary>The symbolic name of an AscendCL or aclnn status code (<c>ACL_ERROR_…</c>, <c>ACLNN_ERR_…</c>), or "UNKNOWN_&lt;code&gt;".</summary>
    /// <param name="code">The status code.</param>
    /// <returns>Its name.</returns>
    public static string Name(int code) =>
        Names.TryGetValue(code, out string? n) ? n : "UNKNOWN_" + code.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether a code means the device ran out of memory.</summary>
    /// <param name="code">The status code.</param>
    /// <returns>True for BAD_ALLOC, RT_MEMORY_ALLOCATION and RT_DEVICE_OOM.</returns>
    public static bool IsOutOfMemory(int code) => code is 200000 or 207001 or 207018;

    /// <summary>Throws the typed exception for a failed call; does nothing for 0.</summary>
    /// <param name="code">The returned status.</param>
    /// <param name="call">The call, as written in C (<c>aclrtMalloc</c>).</param>
    internal static void Check(int code, string call)
    {
        if (code != 0)
        {
            throw Create(code, call);
        }
    }

    /// <summary>The exception for a failed call: its name, the call and the runtime's recent error message.</summary>
    /// <param name="code">The status.</param>
    /// <param name="call">The call.</param>
    /// <param name="bytes">For allocations, the bytes asked for.</param>
    /// <param name="deviceId">For allocations, the device.</param>
    /// <returns>The exception.</returns>
    internal static BackendException Create(int code, string call, long bytes = 0, string? deviceId = null)
    {
        string? message = RecentMessage();
        return IsOutOfMemory(code)
            ? new OutOfDeviceMemoryException(deviceId ?? Backend, bytes, $"{call} returned {Name(code)} ({code}){(message is null ? string.Empty : ": " + message)}")
            : new NativeCallException(Backend, code, Name(code), call, message);
    }

    /// <summary><c>aclGetRecentErrMsg()</c> of this thread, or null when empty or unavailable.</summary>
    /// <returns>The message.</returns>
    internal static unsafe string? RecentMessage()
    {
        if (CannLibrary.Current is null)
        {
            return null;
        }

        string? s = Marshal.PtrToStringUTF8((nint)Acl.aclGetRecentErrMsg());
        return string.IsNullOrWhiteSpace(s) ? null : s;
    }
}
