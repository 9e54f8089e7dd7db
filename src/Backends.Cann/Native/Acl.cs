using System.Runtime.InteropServices;

namespace Backends.Cann.Native;

/// <summary>
/// The AscendCL runtime (<c>libascendcl.so</c>; newer runtimes also ship it as <c>libacl_rt.so</c>), written from the
/// C prototypes of <c>acl/acl_base.h</c>, <c>acl/acl_rt.h</c> and <c>acl/acl_mdl.h</c> (CANN 8.x, ACL 1.17). Each C type
/// is in the comment beside its parameter: <c>aclError</c> is <c>int</c>, enums are <c>int32_t</c>, <c>size_t</c> is
/// <see cref="nuint"/>, handles are opaque pointers. <see cref="CannLibrary"/> resolves the library name.
/// </summary>
internal static unsafe partial class Acl
{
    /// <summary>The library name the resolver maps to the AscendCL runtime it found.</summary>
    public const string Library = "ascendcl";

    // aclError aclInit(const char *configPath);
    [LibraryImport(Library)]
    public static partial int aclInit(byte* configPath /* const char* (NULL allowed) */);

    // aclError aclFinalize(void);
    [LibraryImport(Library)]
    public static partial int aclFinalize();

    // const char *aclGetRecentErrMsg(void);
    [LibraryImport(Library)]
    public static partial byte* aclGetRecentErrMsg();

    // const char *aclrtGetSocName(void);
    [LibraryImport(Library)]
    public static partial byte* aclrtGetSocName();

    // aclError aclrtGetVersion(int32_t *majorVersion, int32_t *minorVersion, int32_t *patchVersion);
    [LibraryImport(Library)]
    public static partial int aclrtGetVersion(int* major /* int32_t* */, int* minor /* int32_t* */, int* patch /* int32_t* */);

    // aclError aclrtSetDevice(int32_t deviceId);
    [LibraryImport(Library)]
    public static partial int aclrtSetDevice(int deviceId /* int32_t */);

    // aclError aclrtResetDevice(int32_t deviceId);
    [LibraryImport(Library)]
    public static partial int aclrtResetDevice(int deviceId /* int32_t */);

    // aclError aclrtGetDevice(int32_t *deviceId);
    [LibraryImport(Library)]
    public static partial int aclrtGetDevice(int* deviceId /* int32_t* */);

    // aclError aclrtGetDeviceCount(uint32_t *count);
    [LibraryImport(Library)]
    public static partial int aclrtGetDeviceCount(uint* count /* uint32_t* */);

    // aclError aclrtSynchronizeDevice(void);
    [LibraryImport(Library)]
    public static partial int aclrtSynchronizeDevice();

    // aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId);
    [LibraryImport(Library)]
    public static partial int aclrtCreateContext(nint* context /* aclrtContext* */, int deviceId /* int32_t */);

    // aclError aclrtDestroyContext(aclrtContext context);
    [LibraryImport(Library)]
    public static partial int aclrtDestroyContext(nint context /* aclrtContext */);

    // aclError aclrtSetCurrentContext(aclrtContext context);
    [LibraryImport(Library)]
    public static partial int aclrtSetCurrentContext(nint context /* aclrtContext */);

    // aclError aclrtGetCurrentContext(aclrtContext *context);
    [LibraryImport(Library)]
    public static partial int aclrtGetCurrentContext(nint* context /* aclrtContext* */);

    // aclError aclrtGetDeviceInfo(uint32_t deviceId, aclrtDevAttr attr, int64_t *value);
    [LibraryImport(Library)]
    public static partial int aclrtGetDeviceInfo(uint deviceId /* uint32_t */, int attr /* aclrtDevAttr */, long* value /* int64_t* */);

    // aclError aclrtCreateStream(aclrtStream *stream);
    [LibraryImport(Library)]
    public static partial int aclrtCreateStream(nint* stream /* aclrtStream* */);

    // aclError aclrtDestroyStream(aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclrtDestroyStream(nint stream /* aclrtStream */);

    // aclError aclrtSynchronizeStream(aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclrtSynchronizeStream(nint stream /* aclrtStream */);

    // aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event);
    [LibraryImport(Library)]
    public static partial int aclrtStreamWaitEvent(nint stream /* aclrtStream */, nint evt /* aclrtEvent */);

    // aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy);
    [LibraryImport(Library)]
    public static partial int aclrtMalloc(nint* devPtr /* void** */, nuint size /* size_t */, int policy /* aclrtMemMallocPolicy */);

    // aclError aclrtMallocHost(void **hostPtr, size_t size);
    [LibraryImport(Library)]
    public static partial int aclrtMallocHost(nint* hostPtr /* void** */, nuint size /* size_t */);

    // aclError aclrtFree(void *devPtr);
    [LibraryImport(Library)]
    public static partial int aclrtFree(nint devPtr /* void* */);

    // aclError aclrtFreeHost(void *hostPtr);
    [LibraryImport(Library)]
    public static partial int aclrtFreeHost(nint hostPtr /* void* */);

    // aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind);
    [LibraryImport(Library)]
    public static partial int aclrtMemcpy(nint dst /* void* */, nuint destMax /* size_t */, nint src /* const void* */, nuint count /* size_t */, int kind /* aclrtMemcpyKind */);

    // aclError aclrtMemcpyAsync(void *dst, size_t destMax, const void *src, size_t count, aclrtMemcpyKind kind, aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclrtMemcpyAsync(nint dst /* void* */, nuint destMax /* size_t */, nint src /* const void* */, nuint count /* size_t */, int kind /* aclrtMemcpyKind */, nint stream /* aclrtStream */);

    // aclError aclrtMemset(void *devPtr, size_t maxCount, int32_t value, size_t count);
    [LibraryImport(Library)]
    public static partial int aclrtMemset(nint devPtr /* void* */, nuint maxCount /* size_t */, int value /* int32_t */, nuint count /* size_t */);

    // aclError aclrtMemsetAsync(void *devPtr, size_t maxCount, int32_t value, size_t count, aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclrtMemsetAsync(nint devPtr /* void* */, nuint maxCount /* size_t */, int value /* int32_t */, nuint count /* size_t */, nint stream /* aclrtStream */);

    // aclError aclrtGetMemInfo(aclrtMemAttr attr, size_t *free, size_t *total);
    [LibraryImport(Library)]
    public static partial int aclrtGetMemInfo(int attr /* aclrtMemAttr */, nuint* free /* size_t* */, nuint* total /* size_t* */);

    // aclError aclrtCreateEvent(aclrtEvent *event);
    [LibraryImport(Library)]
    public static partial int aclrtCreateEvent(nint* evt /* aclrtEvent* */);

    // aclError aclrtCreateEventWithFlag(aclrtEvent *event, uint32_t flag);
    [LibraryImport(Library)]
    public static partial int aclrtCreateEventWithFlag(nint* evt /* aclrtEvent* */, uint flag /* uint32_t */);

    // aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclrtRecordEvent(nint evt /* aclrtEvent */, nint stream /* aclrtStream */);

    // aclError aclrtSynchronizeEvent(aclrtEvent event);
    [LibraryImport(Library)]
    public static partial int aclrtSynchronizeEvent(nint evt /* aclrtEvent */);

    // aclError aclrtQueryEventStatus(aclrtEvent event, aclrtEventRecordedStatus *status);
    [LibraryImport(Library)]
    public static partial int aclrtQueryEventStatus(nint evt /* aclrtEvent */, int* status /* aclrtEventRecordedStatus* */);

    // aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent, aclrtEvent endEvent);
    [LibraryImport(Library)]
    public static partial int aclrtEventElapsedTime(float* ms /* float* */, nint startEvent /* aclrtEvent */, nint endEvent /* aclrtEvent */);

    // aclError aclrtDestroyEvent(aclrtEvent event);
    [LibraryImport(Library)]
    public static partial int aclrtDestroyEvent(nint evt /* aclrtEvent */);

    // aclError aclmdlRICaptureBegin(aclrtStream stream, aclmdlRICaptureMode mode);
    [LibraryImport(Library)]
    public static partial int aclmdlRICaptureBegin(nint stream /* aclrtStream */, int mode /* aclmdlRICaptureMode */);

    // aclError aclmdlRICaptureEnd(aclrtStream stream, aclmdlRI *modelRI);
    [LibraryImport(Library)]
    public static partial int aclmdlRICaptureEnd(nint stream /* aclrtStream */, nint* modelRI /* aclmdlRI* */);

    // aclError aclmdlRIExecuteAsync(aclmdlRI modelRI, aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclmdlRIExecuteAsync(nint modelRI /* aclmdlRI */, nint stream /* aclrtStream */);

    // aclError aclmdlRIDestroy(aclmdlRI modelRI);
    [LibraryImport(Library)]
    public static partial int aclmdlRIDestroy(nint modelRI /* aclmdlRI */);

    // aclError aclrtBinaryLoadFromFile(const char *binPath, aclrtBinaryLoadOptions *options, aclrtBinHandle *binHandle);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int aclrtBinaryLoadFromFile(string binPath /* const char* */, nint options /* aclrtBinaryLoadOptions* (NULL) */, nint* binHandle /* aclrtBinHandle* */);

    // aclError aclrtBinaryGetFunction(const aclrtBinHandle binHandle, const char *kernelName, aclrtFuncHandle *funcHandle);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int aclrtBinaryGetFunction(nint binHandle /* aclrtBinHandle */, string kernelName /* const char* */, nint* funcHandle /* aclrtFuncHandle* */);

    // aclError aclrtLaunchKernel(aclrtFuncHandle funcHandle, uint32_t numBlocks, const void *argsData, size_t argsSize, aclrtStream stream);
    [LibraryImport(Library)]
    public static partial int aclrtLaunchKernel(nint funcHandle /* aclrtFuncHandle */, uint numBlocks /* uint32_t */, void* argsData /* const void* */, nuint argsSize /* size_t */, nint stream /* aclrtStream */);

    // aclError aclrtBinaryUnLoad(aclrtBinHandle binHandle);
    [LibraryImport(Library)]
    public static partial int aclrtBinaryUnLoad(nint binHandle /* aclrtBinHandle */);

    /// <summary>aclrtMemcpyKind.</summary>
    public const int HostToHost = 0, HostToDevice = 1, DeviceToHost = 2, DeviceToDevice = 3;

    /// <summary>aclrtMemMallocPolicy ACL_MEM_MALLOC_HUGE_FIRST.</summary>
    public const int MallocHugeFirst = 0;

    /// <summary>aclrtMemAttr ACL_HBM_MEM.</summary>
    public const int HbmMemory = 1;

    /// <summary>aclrtDevAttr: AI cores and vector cores.</summary>
    public const int AiCoreCount = 101, VectorCoreCount = 201;

    /// <summary>Event flags ACL_EVENT_SYNC | ACL_EVENT_TIME_LINE.</summary>
    public const uint EventSyncTimeLine = 0x1 | 0x8;

    /// <summary>aclrtEventRecordedStatus ACL_EVENT_RECORDED_STATUS_COMPLETE.</summary>
    public const int EventComplete = 1;
}
