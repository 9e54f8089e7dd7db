namespace Backends.OpenCL;

/// <summary>OpenCL constants we pass as raw values, under their native names so they can be grepped.</summary>
internal static class ClConst
{
    public const int CL_SUCCESS = 0;
    public const int CL_DEVICE_NOT_FOUND = -1;
    public const int CL_PLATFORM_NOT_FOUND_KHR = -1001;
    public const int CL_COMPLETE = 0;

    public const uint CL_PLATFORM_VERSION = 0x0901;
    public const uint CL_PLATFORM_NAME = 0x0902;
    public const uint CL_PLATFORM_VENDOR = 0x0903;

    public const ulong CL_DEVICE_TYPE_CPU = 1 << 1;
    public const ulong CL_DEVICE_TYPE_GPU = 1 << 2;
    public const ulong CL_DEVICE_TYPE_ACCELERATOR = 1 << 3;
    public const ulong CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;

    public const uint CL_DEVICE_TYPE = 0x1000;
    public const uint CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    public const uint CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    public const uint CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT = 0x100A;
    public const uint CL_DEVICE_MAX_CLOCK_FREQUENCY = 0x100C;
    public const uint CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    public const uint CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    public const uint CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    public const uint CL_DEVICE_HOST_UNIFIED_MEMORY = 0x1035;
    public const uint CL_DEVICE_PROFILING_TIMER_RESOLUTION = 0x1025;
    public const uint CL_DEVICE_NAME = 0x102B;
    public const uint CL_DEVICE_VENDOR = 0x102C;
    public const uint CL_DRIVER_VERSION = 0x102D;
    public const uint CL_DEVICE_VERSION = 0x102F;
    public const uint CL_DEVICE_EXTENSIONS = 0x1030;
    public const uint CL_DEVICE_DOUBLE_FP_CONFIG = 0x1032;
    public const uint CL_DEVICE_OPENCL_C_VERSION = 0x103D;

    public const ulong CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    public const ulong CL_QUEUE_PROPERTIES = 0x1093;

    public const ulong CL_MEM_READ_WRITE = 1 << 0;
    public const nint CL_CONTEXT_PLATFORM = 0x1084;

    public const uint CL_PROGRAM_BINARY_SIZES = 0x1165;
    public const uint CL_PROGRAM_BINARIES = 0x1166;
    public const uint CL_PROGRAM_BUILD_LOG = 0x1183;

    public const uint CL_EVENT_COMMAND_EXECUTION_STATUS = 0x11D3;
    public const uint CL_PROFILING_COMMAND_START = 0x1282;
    public const uint CL_PROFILING_COMMAND_END = 0x1283;

    public const uint CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
}
