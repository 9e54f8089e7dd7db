using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;

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
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => results[t] = Chains(iterations, t));
        for (int t = 0; t < threads && t < sink.Length; t++)
        {
            sink[t] = results[t];
        }

        return (double)threads * iterations * 12 * Lanes * 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(int iterations, int seed)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> m = Vector512.Create(0.9999f), c = Vector512.Create(1e-4f), s = Vector512.Create(seed * 1e-7f);
            Vector512<float> a0 = s, a1 = s + c, a2 = s + c + c, a3 = s - c, a4 = s * m, a5 = s + m, a6 = s - m, a7 = s * c;
            Vector512<float> a8 = m, a9 = m + c, a10 = m - c, a11 = c;
            for (int i = 0; i < iterations; i++)
            {
                a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
                a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
                a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
                a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
                a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
                a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            }

            return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> m = Vector256.Create(0.9999f), c = Vector256.Create(1e-4f), s = Vector256.Create(seed * 1e-7f);
            Vector256<float> a0 = s, a1 = s + c, a2 = s + c + c, a3 = s - c, a4 = s * m, a5 = s + m, a6 = s - m, a7 = s * c;
            Vector256<float> a8 = m, a9 = m + c, a10 = m - c, a11 = c;
            for (int i = 0; i < iterations; i++)
            {
                a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
                a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
                a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
                a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
                a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
                a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
            }

            return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
        }

        Vector128<float> m4 = Vector128.Create(0.9999f), c4 = Vector128.Create(1e-4f);
        Vector128<float> b0 = Vector128.Create(seed * 1e-7f), b1 = b0 + c4, b2 = b1 + c4, b3 = b2 + c4, b4 = b3 + c4, b5 = b4 + c4;
        Vector128<float> b6 = b5 + c4, b7 = b6 + c4, b8 = b7 + c4, b9 = b8 + c4, b10 = b9 + c4, b11 = b10 + c4;
        for (int i = 0; i < iterations; i++)
        {
            b0 = Vector128.FusedMultiplyAdd(b0, m4, c4); b1 = Vector128.FusedMultiplyAdd(b1, m4, c4);
            b2 = Vector128.FusedMultiplyAdd(b2, m4, c4); b3 = Vector128.FusedMultiplyAdd(b3, m4, c4);
            b4 = Vector128.FusedMultiplyAdd(b4, m4, c4); b5 = Vector128.FusedMultiplyAdd(b5, m4, c4);
            b6 = Vector128.FusedMultiplyAdd(b6, m4, c4); b7 = Vector128.FusedMultiplyAdd(b7, m4, c4);
            b8 = Vector128.FusedMultiplyAdd(b8, m4, c4); b9 = Vector128.FusedMultiplyAdd(b9, m4, c4);
            b10 = Vector128.FusedMultiplyAdd(b10, m4, c4); b11 = Vector128.FusedMultiplyAdd(b11, m4, c4);
        }

        return Vector128.Sum(((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7)) + ((b8 + b9) + (b10 + b11)));
    }
}
