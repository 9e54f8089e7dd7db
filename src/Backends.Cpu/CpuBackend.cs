using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <summary>The managed CPU backend: always available, one device <c>cpu:0</c> covering every core of this process.</summary>
public sealed class CpuBackend : Backend
{
    /// <summary>Creates the backend.</summary>
    public CpuBackend()
        : base("cpu")
    {
    }

    /// <inheritdoc />
    public override string RuntimeDescription => $".NET {Environment.Version} ({RuntimeInformation.FrameworkDescription}), {Simd()}";

    /// <summary>The widest vector width the JIT accelerates here, in bits.</summary>
    public static int SimdWidthBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <inheritdoc />
    protected override IReadOnlyList<DeviceInfo> ProbeDevices()
    {
        (string name, string vendor) = CpuModel();
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var facts = new List<KeyValuePair<string, string>>
        {
            new("threads", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("simd", Simd()),
            new("caches", CpuCaches.Describe()),
            new("gemm blocking", CpuGemm.Blocking),
            new("tuning", CpuTuning.Describe()),
            new("bf16 gemm", CpuBf16Dot.Status),
            new("os", RuntimeInformation.OSDescription),
            new("runtime", RuntimeInformation.FrameworkDescription),
        };
        return
        [
            new DeviceInfo
            {
                Id = "cpu:0",
                Backend = Name,
                Index = 0,
                Name = name,
                Vendor = vendor,
                Kind = DeviceKind.Cpu,
                MemoryBytes = memory,
                ComputeUnits = Environment.ProcessorCount,
                SimdWidthBits = SimdWidthBits,
                DriverVersion = RuntimeInformation.FrameworkDescription,
                Facts = facts,
                Priority = DevicePriority.CpuBackend,
            },
        ];
    }

    /// <inheritdoc />
    protected override Device OpenCore(DeviceInfo info) => new CpuDevice(info);

    private static string Simd()
    {
        var parts = new List<string>();
        if (Avx512F.IsSupported) parts.Add("AVX-512F");
        if (Avx512BW.IsSupported) parts.Add("AVX-512BW");
        if (Avx2.IsSupported) parts.Add("AVX2");
        if (Fma.IsSupported) parts.Add("FMA");
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) parts.Add("NEON");
        return parts.Count == 0 ? $"{SimdWidthBits}-bit" : $"{SimdWidthBits}-bit ({string.Join(", ", parts)})";
    }

    private static (string Name, string Vendor) CpuModel()
    {
        string name = RuntimeInformation.ProcessArchitecture.ToString() + " CPU", vendor = string.Empty;
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo").Take(64))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0) continue;
                    string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                    if (key == "model name" && value.Length > 0) name = value;
                    if (key == "vendor_id") vendor = value;
                }
            }
        }
        catch (IOException)
        {
            // The model name is cosmetic; keep the architecture fallback.
        }

        return (name, vendor);
    }
}
