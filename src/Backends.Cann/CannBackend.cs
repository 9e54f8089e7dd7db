using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using Backends.Cann.Native;

namespace Backends.Cann;

/// <summary>
/// The Huawei Ascend backend (<c>cann</c>): AscendCL for devices, memory, streams and events, aclnn operators for the op
/// set. Without a CANN install (or <c>BACKENDS_ASCENDCL_PATH</c>) it is unavailable with the paths it tried; probing
/// never throws. Pointed at <c>native/cann/acl-sim</c> it runs on the host stand-in, which says so in its device name.
/// </summary>
public sealed class CannBackend : Backend
{
    private readonly IReadOnlyList<(string Folder, string Source)>? _search;

    /// <summary>Creates the backend with the default search (<c>BACKENDS_ASCENDCL_PATH</c>, <c>$ASCEND_TOOLKIT_HOME/lib64</c>, the default toolkit).</summary>
    public CannBackend()
        : base("cann")
    {
    }

    /// <summary>Creates the backend searching only <paramref name="folders"/> for <c>libascendcl.so</c>.</summary>
    /// <param name="folders">Folders to try, in order.</param>
    public CannBackend(IEnumerable<string> folders)
        : base("cann")
    {
        ArgumentNullException.ThrowIfNull(folders);
        var list = new List<(string, string)>();
        foreach (string f in folders)
        {
            list.Add((f, "given"));
        }

        _search = list;
    }

    /// <inheritdoc />
    public override string RuntimeDescription
    {
        get
        {
            CannLibrary.Loaded? l = CannLibrary.Current;
            return l is null ? "AscendCL (not loaded)"
                : l.SimulatorIdentity is { } sim ? $"{sim} from {l.Folder}"
                : $"AscendCL from {l.Folder}";
        }
    }

    /// <inheritdoc />
    protected override unsafe IReadOnlyList<DeviceInfo> ProbeDevices()
    {
        CannLibrary.Loaded lib = CannLibrary.TryLoad(_search ?? CannLibrary.DefaultSearch(), out string? why)
            ?? throw new BackendUnavailableException(Name, why ?? "AscendCL not found");
        CannRuntime.Acquire();
        try
        {
            uint count = 0;
            CannErrors.Check(Acl.aclrtGetDeviceCount(&count), "aclrtGetDeviceCount");
            if (count == 0)
            {
                throw new BackendUnavailableException(Name, $"AscendCL loaded from {lib.Folder}, but aclrtGetDeviceCount reports no device (check the driver and ASCEND_RT_VISIBLE_DEVICES)");
            }

            int major = 0, minor = 0, patch = 0;
            string version = Acl.aclrtGetVersion(&major, &minor, &patch) == 0 ? $"ACL {major}.{minor}.{patch}" : "ACL (version unknown)";
            string soc = Marshal.PtrToStringUTF8((nint)Acl.aclrtGetSocName()) ?? "unknown SoC";
            nint previous = 0;
            _ = Acl.aclrtGetCurrentContext(&previous);
            var list = new List<DeviceInfo>();
            for (int i = 0; i < count; i++)
            {
                CannErrors.Check(Acl.aclrtSetDevice(i), "aclrtSetDevice");
                try
                {
                    nuint free = 0, total = 0;
                    CannErrors.Check(Acl.aclrtGetMemInfo(Acl.HbmMemory, &free, &total), "aclrtGetMemInfo");
                    long aiCores = 0, vectorCores = 0;
                    _ = Acl.aclrtGetDeviceInfo((uint)i, Acl.AiCoreCount, &aiCores);
                    _ = Acl.aclrtGetDeviceInfo((uint)i, Acl.VectorCoreCount, &vectorCores);
                    string C(long v) => v.ToString(CultureInfo.InvariantCulture);
                    bool sim = lib.SimulatorIdentity is not null;
                    var facts = new List<KeyValuePair<string, string>>
                    {
                        new("SoC", soc),
                        new("AI cores", C(aiCores)),
                        new("vector cores", C(vectorCores)),
                        new("HBM", $"{C((long)total)} B total, {C((long)free)} B free"),
                        new("runtime", $"{version}, {lib.RuntimePath}"),
                        new("aclnn", lib.OperatorsMissing is null ? "libopapi.so + libnnopbase.so loaded" : "unavailable: " + lib.OperatorsMissing),
                    };
                    if (sim)
                    {
                        facts.Add(new("stand-in", lib.SimulatorIdentity!));
                    }

                    list.Add(new DeviceInfo
                    {
                        Id = $"{Name}:{i}",
                        Backend = Name,
                        Index = i,
                        Name = sim ? "acl-sim: AscendCL stand-in on host memory (not an Ascend NPU)" : soc,
                        Vendor = sim ? "acl-sim (not Huawei hardware)" : "Huawei",
                        Kind = sim ? DeviceKind.Emulator : DeviceKind.Accelerator,
                        MemoryBytes = (long)total,
                        ComputeUnits = (int)aiCores,
                        DriverVersion = version,
                        Priority = sim ? DevicePriority.Emulator : DevicePriority.DiscreteGpu,
                        Facts = facts,
                    });
                }
                finally
                {
                    _ = Acl.aclrtResetDevice(i);
                }
            }

            if (previous != 0)
            {
                _ = Acl.aclrtSetCurrentContext(previous);
            }

            return list;
        }
        finally
        {
            CannRuntime.Release();
        }
    }

    /// <inheritdoc />
    protected override Device OpenCore(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return CannDevice.Open(info, CannLibrary.Current ?? throw new BackendUnavailableException(Name, "AscendCL is not loaded"));
    }
}
