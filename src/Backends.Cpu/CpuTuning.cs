using System;

namespace Backends.Cpu;

/// <summary>
/// The CPU kernels' choices of memory access that were measured to differ between CPU families, in one profile: which
/// loops fetch ahead in software, how many streams a decode GEMM reads B as, which unpacked-B micro-kernel layout a
/// GEMM of 64..384 rows takes. Results never depend on it (every choice computes the same sums in the same order);
/// only speed does. Each field names the kernel switch that reads it, and that switch's documentation holds the
/// measurements behind each profile's value.
/// </summary>
/// <remarks>
/// The profile is chosen once per process: <see cref="Intel"/> on "GenuineIntel" CPUs, <see cref="Zen4"/> on AMD
/// family 19h, <see cref="Generic"/> elsewhere (AMD Zen 5 and newer, other vendors, non-x86). The environment
/// variable <c>BACKENDS_CPU_TUNING</c> (<c>intel</c>, <c>zen4</c> or <c>generic</c>, any case) overrides the
/// detection, so a user can compare profiles on their own machine in one build; any other value is ignored, and
/// <see cref="Describe"/> (shown among <c>backends devices</c>' facts) says so.
/// </remarks>
internal sealed record CpuTuning
{
    /// <summary>The name <c>BACKENDS_CPU_TUNING</c> selects this profile by.</summary>
    public required string Name { get; init; }

    /// <summary>Silu, swiglu and rmsnorm's four-row sweep fetch their inputs ahead in software (CpuFused.StreamFetches).</summary>
    public required bool StreamFetches { get; init; }

    /// <summary>A softmax row's fetch of the next row starts in its max sweep (CpuFused.SoftmaxEarlyFetch).</summary>
    public required bool SoftmaxEarlyFetch { get; init; }

    /// <summary>The 5..8-row broadcast decode tile fetches its twelve B rows ahead (CpuGemm.PairTileFetches).</summary>
    public required bool PairTileFetches { get; init; }

    /// <summary>The unpacked-B GEMM covers A's rows with 64-row groups first (CpuGemm.BroadcastQuads).</summary>
    public required bool BroadcastQuads { get; init; }

    /// <summary>The 3..4-row decode reads B as six runs at every K, not only where A passes half of L1 (CpuGemm.RunsFor).</summary>
    public required bool SixRunsAlways { get; init; }

    /// <summary>Runs of B rows that one row of A reads side by side in the decode GEMM: 4 or 8 (CpuGemm.OneRowRuns).</summary>
    public required int OneRowRuns { get; init; }

    /// <summary>moe-unpermute fetches the next token's rows at every k, not only at k ≤ 4 (CpuFused.FetchesNextToken).</summary>
    public required bool UnpermuteFetchesAlways { get; init; }

    /// <summary>Intel cores (measured on Ice Lake Xeons): every software fetch, eight one-row runs.</summary>
    public static CpuTuning Intel { get; } = new()
    {
        Name = "intel", StreamFetches = true, SoftmaxEarlyFetch = true, PairTileFetches = true, BroadcastQuads = false,
        SixRunsAlways = false, OneRowRuns = 8, UnpermuteFetchesAlways = true,
    };

    /// <summary>AMD family 19h with AVX-512 (Zen 4, measured on EPYC): its own prefetchers keep ahead of the streaming loops, so no software fetch there.</summary>
    public static CpuTuning Zen4 { get; } = new()
    {
        Name = "zen4", StreamFetches = false, SoftmaxEarlyFetch = false, PairTileFetches = false, BroadcastQuads = true,
        SixRunsAlways = true, OneRowRuns = 4, UnpermuteFetchesAlways = false,
    };

    /// <summary>Every other CPU (measured on AMD EPYC Zen 5).</summary>
    public static CpuTuning Generic { get; } = new()
    {
        Name = "generic", StreamFetches = true, SoftmaxEarlyFetch = true, PairTileFetches = true, BroadcastQuads = false,
        SixRunsAlways = false, OneRowRuns = 4, UnpermuteFetchesAlways = false,
    };

    /// <summary>The profiles, by <see cref="Name"/>.</summary>
    public static CpuTuning[] All { get; } = [Intel, Zen4, Generic];

    private static readonly (CpuTuning Profile, string Why) s_current = Select(
        Environment.GetEnvironmentVariable("BACKENDS_CPU_TUNING"), CpuCaches.IsIntel, CpuCaches.IsAmdFamily19h);

    /// <summary>This process's profile (see the remarks on <see cref="CpuTuning"/>).</summary>
    public static CpuTuning Current => s_current.Profile;

    /// <summary>The profile's name and how it was chosen, e.g. "zen4 (CPUID: AMD family 19h; BACKENDS_CPU_TUNING overrides)".</summary>
    public static string Describe() => $"{Current.Name} ({s_current.Why})";

    /// <summary>
    /// The profile for a value of <c>BACKENDS_CPU_TUNING</c> (null or empty: none) on a CPU of the given kind, and how
    /// it was chosen (a value that names no profile is ignored, and said so).
    /// </summary>
    internal static (CpuTuning Profile, string Why) Select(string? setting, bool isIntel, bool isAmdFamily19h)
    {
        CpuTuning detected = isIntel ? Intel : isAmdFamily19h ? Zen4 : Generic;
        string cpu = isIntel ? "CPUID: Intel" : isAmdFamily19h ? "CPUID: AMD family 19h" : "CPUID: neither Intel nor AMD family 19h";
        string value = setting?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            return (detected, $"{cpu}; BACKENDS_CPU_TUNING overrides");
        }

        foreach (CpuTuning t in All)
        {
            if (string.Equals(t.Name, value, StringComparison.OrdinalIgnoreCase))
            {
                return (t, $"BACKENDS_CPU_TUNING; {cpu} would choose {detected.Name}");
            }
        }

        return (detected, $"{cpu}; BACKENDS_CPU_TUNING='{value}' ignored: not one of intel, zen4, generic");
    }
}
