using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <summary>The compute roof: every core runs 12 independent chains of vector FMAs (enough to cover FMA latency on two pipes).</summary>
internal static class CpuPeak
{
    public static int Lanes => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    /// <summary>Runs the burst on every core; returns the FLOPs performed.</summary>
    public static double Run(Span<float> sink, int iterations)
    {
        int threads = Environment.ProcessorCount;
        var results = new float[threads];
        // On the kernels' own workers: .NET's pool threads would compete with our helpers while those still spin.
        CpuParallel.Each(threads, t => results[t] = Chains(iterations, t));
        for (int t = 0; t < threads && t < sink.Length; t++)
        {
            sink[t] = results[t];
        }

        return (double)threads * iterations * 12 * Lanes * 2;
    }

    private static float Chains(int iterations, int seed) =>
        Vector512.IsHardwareAccelerated ? Chains<Vec512, Vector512<float>>(iterations, seed)
        : Vector256.IsHardwareAccelerated ? Chains<Vec256, Vector256<float>>(iterations, seed)
        : Chains<Vec128, Vector128<float>>(iterations, seed);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains<TOps, TVec>(int iterations, int seed)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        TVec m = TOps.Broadcast(0.9999f), c = TOps.Broadcast(1e-4f);
        TVec a0 = TOps.Broadcast(seed * 1e-7f), a1 = TOps.Add(a0, c), a2 = TOps.Add(a1, c), a3 = TOps.Add(a2, c), a4 = TOps.Add(a3, c), a5 = TOps.Add(a4, c);
        TVec a6 = TOps.Add(a5, c), a7 = TOps.Add(a6, c), a8 = TOps.Add(a7, c), a9 = TOps.Add(a8, c), a10 = TOps.Add(a9, c), a11 = TOps.Add(a10, c);
        for (int i = 0; i < iterations; i++)
        {
            a0 = TOps.MulAdd(a0, m, c); a1 = TOps.MulAdd(a1, m, c); a2 = TOps.MulAdd(a2, m, c); a3 = TOps.MulAdd(a3, m, c);
            a4 = TOps.MulAdd(a4, m, c); a5 = TOps.MulAdd(a5, m, c); a6 = TOps.MulAdd(a6, m, c); a7 = TOps.MulAdd(a7, m, c);
            a8 = TOps.MulAdd(a8, m, c); a9 = TOps.MulAdd(a9, m, c); a10 = TOps.MulAdd(a10, m, c); a11 = TOps.MulAdd(a11, m, c);
        }

        TVec t = TOps.Add(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)), TOps.Add(TOps.Add(a4, a5), TOps.Add(a6, a7)));
        return TOps.Sum(TOps.Add(t, TOps.Add(TOps.Add(a8, a9), TOps.Add(a10, a11))));
    }
}
