using System;

namespace Backends.Cann;

/// <summary>
/// The controls only native/cann/acl-sim exports: live-object counts, call counters and fault injection, for tests of
/// the error paths. Every member throws <see cref="InvalidOperationException"/> when the loaded runtime is not the stand-in.
/// </summary>
public static unsafe class AclSim
{
    /// <summary>What <see cref="LiveCount"/> counts.</summary>
    public enum Live
    {
        /// <summary>aclrtMalloc allocations.</summary>
        DeviceAllocations = 0,

        /// <summary>aclrtMallocHost allocations.</summary>
        HostAllocations = 1,

        /// <summary>aclTensor, aclScalar, aclIntArray and aclTensorList objects.</summary>
        AclnnObjects = 2,

        /// <summary>aclOpExecutor objects not yet run or destroyed.</summary>
        Executors = 3,

        /// <summary>Streams.</summary>
        Streams = 4,

        /// <summary>Events.</summary>
        Events = 5,

        /// <summary>Contexts created with aclrtCreateContext.</summary>
        Contexts = 6,

        /// <summary>Loaded kernel binaries.</summary>
        Binaries = 7,

        /// <summary>Bytes of device allocations.</summary>
        DeviceBytes = 8,
    }

    /// <summary>What <see cref="Counter"/> counts.</summary>
    public enum Count
    {
        /// <summary>Successful aclInit calls.</summary>
        Inits = 0,

        /// <summary>Successful aclFinalize calls.</summary>
        Finalizes = 1,

        /// <summary>aclnn second phases run.</summary>
        AclnnLaunches = 2,

        /// <summary>aclrtLaunchKernel launches.</summary>
        KernelLaunches = 3,
    }

    /// <summary>What the next failing call of <see cref="InjectFault"/> is.</summary>
    public enum Fault
    {
        /// <summary>Clears every pending fault.</summary>
        None = 0,

        /// <summary>The next aclrtMalloc or aclrtMallocHost.</summary>
        Allocation = 1,

        /// <summary>The next aclnn second phase or aclrtLaunchKernel.</summary>
        Launch = 2,

        /// <summary>The next aclrtMemcpy(Async) or aclrtMemset(Async).</summary>
        Copy = 3,
    }

    /// <summary>Whether the loaded AscendCL runtime is the stand-in.</summary>
    public static bool IsLoaded => CannLibrary.Current?.SimulatorIdentity is not null;

    /// <summary>Objects of one kind alive in the stand-in now (process-wide).</summary>
    /// <param name="what">The kind.</param>
    /// <returns>The count.</returns>
    public static long LiveCount(Live what) => ((delegate* unmanaged[Cdecl]<int, long>)Export("aclsimLiveCount"))((int)what);

    /// <summary>A call counter of the stand-in (process-wide).</summary>
    /// <param name="what">The counter.</param>
    /// <returns>Its value.</returns>
    public static long Counter(Count what) => ((delegate* unmanaged[Cdecl]<int, long>)Export("aclsimCounter"))((int)what);

    /// <summary>Makes the next call of a kind fail with <paramref name="code"/> (one shot, process-wide).</summary>
    /// <param name="kind">Which calls.</param>
    /// <param name="code">The aclError to return.</param>
    public static void InjectFault(Fault kind, int code) => ((delegate* unmanaged[Cdecl]<int, int, void>)Export("aclsimInjectFault"))((int)kind, code);

    private static nint Export(string name)
    {
        CannLibrary.Loaded l = CannLibrary.Current is { SimulatorIdentity: not null } c ? c : throw new InvalidOperationException("The loaded AscendCL runtime is not acl-sim (or none is loaded).");
        nint p = l.RuntimeExport(name);
        return p != 0 ? p : throw new InvalidOperationException($"acl-sim does not export {name}.");
    }
}
