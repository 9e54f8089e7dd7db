using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <content>The decode micro-kernel: 8 rows of A against 3 rows of B (B [N,K]) in one pass over K.</content>
internal static unsafe partial class CpuGemm
{
    /// <summary>
    /// o[i·3 + j] = Σ_q a[i·lda + q]·b_j[q] over q &lt; k, for i &lt; 8, j &lt; 3: 24 vector accumulators, each A vector feeding three B rows,
    /// so the loop is FMA-bound rather than load-bound. Rows past <paramref name="m"/> alias the last row (their results
    /// are ignored by the caller), as do B rows the caller passes twice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots8x3<TOps, TVec>(float* a, int m, int lda, int k, float* b0, float* b1, float* b2, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* r0 = a, r1 = a + (Math.Min(1, m - 1) * (long)lda), r2 = a + (Math.Min(2, m - 1) * (long)lda), r3 = a + (Math.Min(3, m - 1) * (long)lda);
        float* r4 = a + (Math.Min(4, m - 1) * (long)lda), r5 = a + (Math.Min(5, m - 1) * (long)lda), r6 = a + (Math.Min(6, m - 1) * (long)lda), r7 = a + (Math.Min(7, m - 1) * (long)lda);
        int w = TOps.Count, q = 0;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero, c60 = TOps.Zero, c61 = TOps.Zero, c62 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c72 = TOps.Zero;
        for (; q + w <= k; q += w)
        {
            TVec v0 = TOps.Load(b0 + q), v1 = TOps.Load(b1 + q), v2 = TOps.Load(b2 + q);
            TVec a0 = TOps.Load(r0 + q);
            c00 = TOps.MulAdd(a0, v0, c00); c01 = TOps.MulAdd(a0, v1, c01); c02 = TOps.MulAdd(a0, v2, c02);
            TVec a1 = TOps.Load(r1 + q);
            c10 = TOps.MulAdd(a1, v0, c10); c11 = TOps.MulAdd(a1, v1, c11); c12 = TOps.MulAdd(a1, v2, c12);
            TVec a2 = TOps.Load(r2 + q);
            c20 = TOps.MulAdd(a2, v0, c20); c21 = TOps.MulAdd(a2, v1, c21); c22 = TOps.MulAdd(a2, v2, c22);
            TVec a3 = TOps.Load(r3 + q);
            c30 = TOps.MulAdd(a3, v0, c30); c31 = TOps.MulAdd(a3, v1, c31); c32 = TOps.MulAdd(a3, v2, c32);
            TVec a4 = TOps.Load(r4 + q);
            c40 = TOps.MulAdd(a4, v0, c40); c41 = TOps.MulAdd(a4, v1, c41); c42 = TOps.MulAdd(a4, v2, c42);
            TVec a5 = TOps.Load(r5 + q);
            c50 = TOps.MulAdd(a5, v0, c50); c51 = TOps.MulAdd(a5, v1, c51); c52 = TOps.MulAdd(a5, v2, c52);
            TVec a6 = TOps.Load(r6 + q);
            c60 = TOps.MulAdd(a6, v0, c60); c61 = TOps.MulAdd(a6, v1, c61); c62 = TOps.MulAdd(a6, v2, c62);
            TVec a7 = TOps.Load(r7 + q);
            c70 = TOps.MulAdd(a7, v0, c70); c71 = TOps.MulAdd(a7, v1, c71); c72 = TOps.MulAdd(a7, v2, c72);
        }

            o[0] = TOps.Sum(c00); o[1] = TOps.Sum(c01); o[2] = TOps.Sum(c02);
            o[3] = TOps.Sum(c10); o[4] = TOps.Sum(c11); o[5] = TOps.Sum(c12);
            o[6] = TOps.Sum(c20); o[7] = TOps.Sum(c21); o[8] = TOps.Sum(c22);
            o[9] = TOps.Sum(c30); o[10] = TOps.Sum(c31); o[11] = TOps.Sum(c32);
            o[12] = TOps.Sum(c40); o[13] = TOps.Sum(c41); o[14] = TOps.Sum(c42);
            o[15] = TOps.Sum(c50); o[16] = TOps.Sum(c51); o[17] = TOps.Sum(c52);
            o[18] = TOps.Sum(c60); o[19] = TOps.Sum(c61); o[20] = TOps.Sum(c62);
            o[21] = TOps.Sum(c70); o[22] = TOps.Sum(c71); o[23] = TOps.Sum(c72);
        float* rs = stackalloc float[8];
        for (; q < k; q++)
        {
            float v0 = b0[q], v1 = b1[q], v2 = b2[q];
            rs[0] = r0[q]; rs[1] = r1[q]; rs[2] = r2[q]; rs[3] = r3[q]; rs[4] = r4[q]; rs[5] = r5[q]; rs[6] = r6[q]; rs[7] = r7[q];
            for (int i = 0; i < 8; i++)
            {
                o[i * 3] += rs[i] * v0;
                o[(i * 3) + 1] += rs[i] * v1;
                o[(i * 3) + 2] += rs[i] * v2;
            }
        }
    }

    /// <summary>o[j] = Σ_q a[q]·b_j[q] for the 8 B rows b + j·ldb (one row of A: bandwidth-bound, so eight B streams at once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots1x8<TOps, TVec>(float* a, int k, float* b, long ldb, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* b0 = b, b1 = b + ldb, b2 = b + (2 * ldb), b3 = b + (3 * ldb), b4 = b + (4 * ldb), b5 = b + (5 * ldb), b6 = b + (6 * ldb), b7 = b + (7 * ldb);
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
