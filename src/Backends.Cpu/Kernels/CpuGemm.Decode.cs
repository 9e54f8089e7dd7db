using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <content>The decode micro-kernel for one row of A: eight B streams at once.</content>
internal static unsafe partial class CpuGemm
{
    /// <summary>o[j] = Σ_q a[q]·b_j[q] for the 8 B rows b + j·ldb (one row of A: bandwidth-bound, so eight B streams at once); B rows past cnt alias the last one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots1x8<TOps, TVec>(float* a, int k, float* b, long ldb, int cnt, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* b0 = b, b1 = b + (Math.Min(1, cnt - 1) * ldb), b2 = b + (Math.Min(2, cnt - 1) * ldb), b3 = b + (Math.Min(3, cnt - 1) * ldb);
        float* b4 = b + (Math.Min(4, cnt - 1) * ldb), b5 = b + (Math.Min(5, cnt - 1) * ldb), b6 = b + (Math.Min(6, cnt - 1) * ldb), b7 = b + (Math.Min(7, cnt - 1) * ldb);
        int w = TOps.Count, q = 0;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (; q + w <= k; q += w)
        {
            TVec v = TOps.Load(a + q);
            c0 = TOps.MulAdd(v, TOps.Load(b0 + q), c0);
            c1 = TOps.MulAdd(v, TOps.Load(b1 + q), c1);
            c2 = TOps.MulAdd(v, TOps.Load(b2 + q), c2);
            c3 = TOps.MulAdd(v, TOps.Load(b3 + q), c3);
            c4 = TOps.MulAdd(v, TOps.Load(b4 + q), c4);
            c5 = TOps.MulAdd(v, TOps.Load(b5 + q), c5);
            c6 = TOps.MulAdd(v, TOps.Load(b6 + q), c6);
            c7 = TOps.MulAdd(v, TOps.Load(b7 + q), c7);
        }

        o[0] = TOps.Sum(c0); o[1] = TOps.Sum(c1); o[2] = TOps.Sum(c2); o[3] = TOps.Sum(c3);
        o[4] = TOps.Sum(c4); o[5] = TOps.Sum(c5); o[6] = TOps.Sum(c6); o[7] = TOps.Sum(c7);
        for (; q < k; q++)
        {
            float v = a[q];
            o[0] += v * b0[q]; o[1] += v * b1[q]; o[2] += v * b2[q]; o[3] += v * b3[q];
            o[4] += v * b4[q]; o[5] += v * b5[q]; o[6] += v * b6[q]; o[7] += v * b7[q];
        }
    }
}
