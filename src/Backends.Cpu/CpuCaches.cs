using System;
using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <summary>
/// The data-cache sizes of the CPU this process runs on, read from CPUID (leaf 4 on Intel, 0x8000001D on AMD: the
/// deterministic cache parameters), with documented defaults where the CPU does not say (other architectures, old or
/// virtual CPUs that hide the leaves). The GEMM sizes its blocking from these.
/// </summary>
public static class CpuCaches
{
    private static readonly Lazy<(long L1, long L2, long L3PerCore, bool Detected)> s_sizes = new(Detect);

    /// <summary>Default L1 data cache when CPUID does not tell: 32 KiB.</summary>
    public const long DefaultL1 = 32 << 10;

    /// <summary>Default L2 per core when CPUID does not tell: 1 MiB.</summary>
    public const long DefaultL2 = 1 << 20;

    /// <summary>Default L3 share per core when CPUID does not tell: 2 MiB.</summary>
    public const long DefaultL3PerCore = 2 << 20;

    /// <summary>L1 data cache per core, bytes.</summary>
    public static long L1 => s_sizes.Value.L1;

    /// <summary>L2 per core, bytes.</summary>
    public static long L2 => s_sizes.Value.L2;

    /// <summary>The L3 share of one core (the L3 size over the logical processors that share it), bytes; L2 when there is no L3.</summary>
    public static long L3PerCore => s_sizes.Value.L3PerCore;

    /// <summary>Whether the sizes came from the CPU (false: the defaults).</summary>
    public static bool Detected => s_sizes.Value.Detected;

    /// <summary>
    /// Whether CPUID names the vendor "GenuineIntel": <see cref="CpuTuning"/> then chooses its Intel profile (the memory
    /// access patterns measured to differ between Intel and AMD cores, such as how many streams one core reads at once).
    /// </summary>
    internal static bool IsIntel { get; } = X86Base.IsSupported && VendorIs(0x756E6547, 0x6C65746E, 0x49656E69);

    /// <summary>
    /// Whether CPUID names an AMD CPU of family 19h (Zen 3 and Zen 4; of those only Zen 4 has the AVX-512 that the
    /// kernels tuned for it need; Zen 5 is family 1Ah): <see cref="CpuTuning"/> then chooses its Zen 4 profile.
    /// </summary>
    internal static bool IsAmdFamily19h { get; } = X86Base.IsSupported && VendorIs(0x68747541, 0x444D4163, 0x69746E65) && Family() == 0x19;

    /// <summary>The CPU family from CPUID leaf 1 (the base family, plus the extended family when the base is 0Fh).</summary>
    private static int Family()
    {
        int eax = X86Base.CpuId(1, 0).Eax, family = (eax >> 8) & 0xF;
        return family == 0xF ? family + ((eax >> 20) & 0xFF) : family;
    }

    private static bool VendorIs(int ebx, int ecx, int edx)
    {
        (_, int b, int c, int d) = X86Base.CpuId(0, 0);
        return b == ebx && c == ecx && d == edx;
    }

    /// <summary>A one-line description, e.g. "L1d 48 KiB, L2 1 MiB, L3 4 MiB per core (CPUID)".</summary>
    public static string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"L1d {Size(L1)}, L2 {Size(L2)}, L3 {Size(L3PerCore)} per core ({(Detected ? "CPUID" : "defaults: CPUID did not report them")})");

    private static string Size(long bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    private static (long, long, long, bool) Detect()
    {
        long l1 = 0, l2 = 0, l3 = 0;
        int l3Sharing = 1;
        try
        {
            if (X86Base.IsSupported)
            {
                (_, int vendorB, int vendorC, int vendorD) = X86Base.CpuId(0, 0);
                bool amd = vendorB == 0x68747541 && vendorD == 0x69746E65 && vendorC == 0x444D4163; // "AuthenticAMD"
                int maxLeaf = X86Base.CpuId(0, 0).Eax;
                int maxExt = X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
                int leaf = amd ? unchecked((int)0x8000001D) : 4;
                bool available = amd ? (uint)maxExt >= 0x8000001D : maxLeaf >= 4;
                for (int sub = 0; available && sub < 16; sub++)
                {
                    (int eax, int ebx, int ecx, _) = X86Base.CpuId(leaf, sub);
                    int type = eax & 0x1F; // 0 none, 1 data, 2 instruction, 3 unified
                    if (type == 0)
                    {
                        break;
                    }

                    if (type == 2)
                    {
                        continue;
                    }

                    int level = (eax >> 5) & 0x7;
                    long ways = ((ebx >> 22) & 0x3FF) + 1, partitions = ((ebx >> 12) & 0x3FF) + 1, line = (ebx & 0xFFF) + 1, sets = (long)(uint)ecx + 1;
                    long size = ways * partitions * line * sets;
                    int sharing = ((eax >> 14) & 0xFFF) + 1;
                    switch (level)
                    {
                        case 1: l1 = size; break;
                        case 2: l2 = size; break;
                        case 3: l3 = size; l3Sharing = Math.Max(1, sharing); break;
                    }
                }


                if (amd && (l1 == 0 || l2 == 0) && (uint)maxExt >= 0x80000006)
                {
                    // AMD's older leaves (what virtual CPUs often keep): L1d KiB in 0x80000005 ECX[31:24], L2 KiB in
                    // 0x80000006 ECX[31:16], L3 in 512 KiB units in 0x80000006 EDX[31:18] (shared by the whole CCX, unknown
                    // here: counted as shared by every logical processor of the process).
                    l1 = (long)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) << 10;
                    (_, _, int ecx6, int edx6) = X86Base.CpuId(unchecked((int)0x80000006), 0);
                    l2 = (long)((uint)ecx6 >> 16) << 10;
                    l3 = (long)((uint)edx6 >> 18) * (512 << 10);
                    l3Sharing = Environment.ProcessorCount;
                }
            }
        }
        catch (PlatformNotSupportedException)
        {
            // No CPUID: the defaults below.
        }

        bool detected = l1 > 0 && l2 > 0;
        l1 = l1 > 0 ? l1 : DefaultL1;
        l2 = l2 > 0 ? l2 : DefaultL2;
        long l3PerCore = l3 > 0 ? l3 / Math.Min(l3Sharing, Math.Max(1, Environment.ProcessorCount)) : (detected ? l2 : DefaultL3PerCore);
        return (l1, l2, Math.Max(l3PerCore, l2), detected);
    }
}
