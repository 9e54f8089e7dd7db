using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Backends.OpenCL;

/// <summary>
/// The OpenCL backend: every device of every platform, numbered across platforms (<c>opencl:0</c>, <c>opencl:1</c>, ...).
/// A missing ICD loader or no platform makes it unavailable with the reason; probing never throws.
/// </summary>
public sealed unsafe class OpenCLBackend : Backend
{
    private readonly List<(nint Platform, nint Device)> _handles = [];
    private string _runtime = string.Empty;

    /// <summary>Creates the backend.</summary>
    public OpenCLBackend()
        : base("opencl")
    {
    }

    /// <inheritdoc />
    public override string RuntimeDescription => _runtime;

    /// <summary>
    /// Serialises probes across registries: the ICD loader's first enumeration is not safe to run on two threads at
    /// once (two registries probing together have seen a platform report no devices).
    /// </summary>
    private static readonly object ProbeGate = new();

    /// <inheritdoc />
    protected override IReadOnlyList<DeviceInfo> ProbeDevices()
    {
        lock (ProbeGate)
        {
            List<DeviceInfo> found = ProbeOnce();
            if (found.Count == 0 && _handles.Count == 0)
            {
                // A platform that reports no device right after start-up is asked once more before it counts as empty.
                System.Threading.Thread.Sleep(100);
                found = ProbeOnce();
            }

            return found;
        }
    }

    private List<DeviceInfo> ProbeOnce()
    {
        Silk.NET.OpenCL.CL api;
        try
        {
            api = ClApi.Api;
        }
        catch (Exception ex) when (ex is DllNotFoundException or FileNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException)
        {
            throw new BackendUnavailableException(Name, $"the OpenCL ICD loader (libOpenCL.so.1) could not be loaded: {ex.Message}. Install ocl-icd-libopencl1 and a driver such as pocl-opencl-icd.", ex);
        }

        uint count;
        int rc = api.GetPlatformIDs(0, null, &count);
        if (rc == ClConst.CL_PLATFORM_NOT_FOUND_KHR || (rc == ClConst.CL_SUCCESS && count == 0))
        {
            throw new BackendUnavailableException(Name, "no OpenCL platform is installed (no ICD in /etc/OpenCL/vendors); install a driver such as pocl-opencl-icd.");
        }

        ClApi.Check(rc, "probe");
        var platforms = new nint[count];
        fixed (nint* p = platforms)
        {
            ClApi.Check(api.GetPlatformIDs(count, p, null), "probe");
        }

        var devices = new List<DeviceInfo>();
        var runtimes = new List<string>();
        foreach (nint platform in platforms)
        {
            string pname = ClApi.PlatformString(platform, ClConst.CL_PLATFORM_NAME);
            string pversion = ClApi.PlatformString(platform, ClConst.CL_PLATFORM_VERSION);
            runtimes.Add($"{pname} ({pversion})");
            uint n;
            rc = api.GetDeviceIDs(platform, (Silk.NET.OpenCL.DeviceType)ClConst.CL_DEVICE_TYPE_ALL, 0, null, &n);
            if (rc == ClConst.CL_DEVICE_NOT_FOUND || n == 0)
            {
                continue;
            }

            ClApi.Check(rc, "probe");
            var ids = new nint[n];
            fixed (nint* p = ids)
            {
                ClApi.Check(api.GetDeviceIDs(platform, (Silk.NET.OpenCL.DeviceType)ClConst.CL_DEVICE_TYPE_ALL, n, p, null), "probe");
            }

            foreach (nint d in ids)
            {
                int index = devices.Count;
                devices.Add(Describe(index, platform, d, pname, pversion));
                _handles.Add((platform, d));
            }
        }

        _runtime = string.Join("; ", runtimes);
        return devices;
    }

    /// <inheritdoc />
    protected override Device OpenCore(DeviceInfo info)
    {
        (nint platform, nint device) = _handles[info.Index];
        return new OpenCLDevice(info, platform, device);
    }

    private DeviceInfo Describe(int index, nint platform, nint d, string platformName, string platformVersion)
    {
        ulong type = ClApi.DeviceValue<ulong>(d, ClConst.CL_DEVICE_TYPE);
        string extensions = ClApi.DeviceString(d, ClConst.CL_DEVICE_EXTENSIONS);
        bool fp64 = extensions.Contains("cl_khr_fp64", StringComparison.Ordinal) || ClApi.DeviceValue<ulong>(d, ClConst.CL_DEVICE_DOUBLE_FP_CONFIG) != 0;
        DeviceKind kind = (type & ClConst.CL_DEVICE_TYPE_GPU) != 0 ? DeviceKind.Gpu
            : (type & ClConst.CL_DEVICE_TYPE_ACCELERATOR) != 0 ? DeviceKind.Accelerator
            : DeviceKind.Cpu;
        string C(ulong v) => v.ToString(CultureInfo.InvariantCulture);

        // CL_DEVICE_HOST_UNIFIED_MEMORY (deprecated in OpenCL 2.0 but still answered) tells an integrated GPU.
        bool unified;
        try
        {
            unified = ClApi.DeviceValue<uint>(d, ClConst.CL_DEVICE_HOST_UNIFIED_MEMORY) != 0;
        }
        catch (OpenCLException)
        {
            unified = false; // a platform that no longer answers it: rank the GPU as discrete
        }
        var facts = new List<KeyValuePair<string, string>>
        {
            new("platform", $"{platformName} ({platformVersion})"),
            new("version", ClApi.DeviceString(d, ClConst.CL_DEVICE_VERSION)),
            new("opencl c", ClApi.DeviceString(d, ClConst.CL_DEVICE_OPENCL_C_VERSION)),
            new("driver", ClApi.DeviceString(d, ClConst.CL_DRIVER_VERSION)),
            new("max work-group", C(ClApi.DeviceValue<nuint>(d, ClConst.CL_DEVICE_MAX_WORK_GROUP_SIZE))),
            new("local memory", C(ClApi.DeviceValue<ulong>(d, ClConst.CL_DEVICE_LOCAL_MEM_SIZE)) + " B"),
            new("max allocation", C(ClApi.DeviceValue<ulong>(d, ClConst.CL_DEVICE_MAX_MEM_ALLOC_SIZE)) + " B"),
            new("clock", C(ClApi.DeviceValue<uint>(d, ClConst.CL_DEVICE_MAX_CLOCK_FREQUENCY)) + " MHz"),
            new("fp16", extensions.Contains("cl_khr_fp16", StringComparison.Ordinal) ? "yes" : "no (storage via vload_half)"),
            new("fp64", fp64 ? "yes" : "no"),
        };
        return new DeviceInfo
        {
            Id = $"{Name}:{index}",
            Backend = Name,
            Index = index,
            Name = ClApi.DeviceString(d, ClConst.CL_DEVICE_NAME),
            Vendor = ClApi.DeviceString(d, ClConst.CL_DEVICE_VENDOR),
            Kind = kind,
            MemoryBytes = (long)ClApi.DeviceValue<ulong>(d, ClConst.CL_DEVICE_GLOBAL_MEM_SIZE),
            ComputeUnits = (int)ClApi.DeviceValue<uint>(d, ClConst.CL_DEVICE_MAX_COMPUTE_UNITS),
            SimdWidthBits = (int)ClApi.DeviceValue<uint>(d, ClConst.CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT) * 32,
            DriverVersion = ClApi.DeviceString(d, ClConst.CL_DRIVER_VERSION),
            Facts = facts,
            Priority = kind switch
            {
                DeviceKind.Gpu when unified => DevicePriority.IntegratedGpu,
                DeviceKind.Gpu or DeviceKind.Accelerator => DevicePriority.DiscreteGpu,
                _ => DevicePriority.CpuDevice,
            },
        };
    }
}
