using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <content>
/// Decode micro-kernels, generated shapes R×C: R rows of A against C rows of B (B [N,K]) in one pass over K, R·C vector
/// accumulators (at most 24). Streaming B is the bound, and each B row is a hardware-prefetch stream: more B rows per
/// pass (C) keep more of memory busy, so the fewer rows of A, the more rows of B.
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>o[i·8 + j] = Σ_q a[i·lda + q]·b[j·ldb + q] over q &lt; k for i &lt; 2, j &lt; 8; rows past m and B rows past cnt alias the last ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots2x8<TOps, TVec>(float* a, int m, int lda, int k, float* b, long ldb, int cnt, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* r0 = a + (Math.Min(0, m - 1) * (long)lda);
        float* r1 = a + (Math.Min(1, m - 1) * (long)lda);
        float* b0 = b + (Math.Min(0, cnt - 1) * ldb);
        float* b1 = b + (Math.Min(1, cnt - 1) * ldb);
        float* b2 = b + (Math.Min(2, cnt - 1) * ldb);
        float* b3 = b + (Math.Min(3, cnt - 1) * ldb);
        float* b4 = b + (Math.Min(4, cnt - 1) * ldb);
        float* b5 = b + (Math.Min(5, cnt - 1) * ldb);
        float* b6 = b + (Math.Min(6, cnt - 1) * ldb);
        float* b7 = b + (Math.Min(7, cnt - 1) * ldb);
        int w = TOps.Count, q = 0;
        TVec c0_0 = TOps.Zero, c0_1 = TOps.Zero, c0_2 = TOps.Zero, c0_3 = TOps.Zero, c0_4 = TOps.Zero, c0_5 = TOps.Zero, c0_6 = TOps.Zero, c0_7 = TOps.Zero, c1_0 = TOps.Zero, c1_1 = TOps.Zero, c1_2 = TOps.Zero, c1_3 = TOps.Zero, c1_4 = TOps.Zero, c1_5 = TOps.Zero, c1_6 = TOps.Zero, c1_7 = TOps.Zero;
        for (; q + w <= k; q += w)
        {
            TVec v0 = TOps.Load(b0 + q), v1 = TOps.Load(b1 + q), v2 = TOps.Load(b2 + q), v3 = TOps.Load(b3 + q), v4 = TOps.Load(b4 + q), v5 = TOps.Load(b5 + q), v6 = TOps.Load(b6 + q), v7 = TOps.Load(b7 + q);
            TVec a0 = TOps.Load(r0 + q);
            c0_0 = TOps.MulAdd(a0, v0, c0_0); c0_1 = TOps.MulAdd(a0, v1, c0_1); c0_2 = TOps.MulAdd(a0, v2, c0_2); c0_3 = TOps.MulAdd(a0, v3, c0_3); c0_4 = TOps.MulAdd(a0, v4, c0_4); c0_5 = TOps.MulAdd(a0, v5, c0_5); c0_6 = TOps.MulAdd(a0, v6, c0_6); c0_7 = TOps.MulAdd(a0, v7, c0_7);
            TVec a1 = TOps.Load(r1 + q);
            c1_0 = TOps.MulAdd(a1, v0, c1_0); c1_1 = TOps.MulAdd(a1, v1, c1_1); c1_2 = TOps.MulAdd(a1, v2, c1_2); c1_3 = TOps.MulAdd(a1, v3, c1_3); c1_4 = TOps.MulAdd(a1, v4, c1_4); c1_5 = TOps.MulAdd(a1, v5, c1_5); c1_6 = TOps.MulAdd(a1, v6, c1_6); c1_7 = TOps.MulAdd(a1, v7, c1_7);
        }

        o[0] = TOps.Sum(c0_0); o[1] = TOps.Sum(c0_1); o[2] = TOps.Sum(c0_2); o[3] = TOps.Sum(c0_3); o[4] = TOps.Sum(c0_4); o[5] = TOps.Sum(c0_5); o[6] = TOps.Sum(c0_6); o[7] = TOps.Sum(c0_7);
        o[8] = TOps.Sum(c1_0); o[9] = TOps.Sum(c1_1); o[10] = TOps.Sum(c1_2); o[11] = TOps.Sum(c1_3); o[12] = TOps.Sum(c1_4); o[13] = TOps.Sum(c1_5); o[14] = TOps.Sum(c1_6); o[15] = TOps.Sum(c1_7);
        for (; q < k; q++)
        {
            o[0] += r0[q] * b0[q]; o[1] += r0[q] * b1[q]; o[2] += r0[q] * b2[q]; o[3] += r0[q] * b3[q]; o[4] += r0[q] * b4[q]; o[5] += r0[q] * b5[q]; o[6] += r0[q] * b6[q]; o[7] += r0[q] * b7[q];
            o[8] += r1[q] * b0[q]; o[9] += r1[q] * b1[q]; o[10] += r1[q] * b2[q]; o[11] += r1[q] * b3[q]; o[12] += r1[q] * b4[q]; o[13] += r1[q] * b5[q]; o[14] += r1[q] * b6[q]; o[15] += r1[q] * b7[q];
        }
    }

    /// <summary>o[i·6 + j] = Σ_q a[i·lda + q]·b[j·ldb + q] over q &lt; k for i &lt; 4, j &lt; 6; rows past m and B rows past cnt alias the last ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots4x6<TOps, TVec>(float* a, int m, int lda, int k, float* b, long ldb, int cnt, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* r0 = a + (Math.Min(0, m - 1) * (long)lda);
        float* r1 = a + (Math.Min(1, m - 1) * (long)lda);
        float* r2 = a + (Math.Min(2, m - 1) * (long)lda);
        float* r3 = a + (Math.Min(3, m - 1) * (long)lda);
        float* b0 = b + (Math.Min(0, cnt - 1) * ldb);
        float* b1 = b + (Math.Min(1, cnt - 1) * ldb);
        float* b2 = b + (Math.Min(2, cnt - 1) * ldb);
        float* b3 = b + (Math.Min(3, cnt - 1) * ldb);
        float* b4 = b + (Math.Min(4, cnt - 1) * ldb);
        float* b5 = b + (Math.Min(5, cnt - 1) * ldb);
        int w = TOps.Count, q = 0;
        TVec c0_0 = TOps.Zero, c0_1 = TOps.Zero, c0_2 = TOps.Zero, c0_3 = TOps.Zero, c0_4 = TOps.Zero, c0_5 = TOps.Zero, c1_0 = TOps.Zero, c1_1 = TOps.Zero, c1_2 = TOps.Zero, c1_3 = TOps.Zero, c1_4 = TOps.Zero, c1_5 = TOps.Zero, c2_0 = TOps.Zero, c2_1 = TOps.Zero, c2_2 = TOps.Zero, c2_3 = TOps.Zero, c2_4 = TOps.Zero, c2_5 = TOps.Zero, c3_0 = TOps.Zero, c3_1 = TOps.Zero, c3_2 = TOps.Zero, c3_3 = TOps.Zero, c3_4 = TOps.Zero, c3_5 = TOps.Zero;
        for (; q + w <= k; q += w)
        {
            TVec v0 = TOps.Load(b0 + q), v1 = TOps.Load(b1 + q), v2 = TOps.Load(b2 + q), v3 = TOps.Load(b3 + q), v4 = TOps.Load(b4 + q), v5 = TOps.Load(b5 + q);
            TVec a0 = TOps.Load(r0 + q);
            c0_0 = TOps.MulAdd(a0, v0, c0_0); c0_1 = TOps.MulAdd(a0, v1, c0_1); c0_2 = TOps.MulAdd(a0, v2, c0_2); c0_3 = TOps.MulAdd(a0, v3, c0_3); c0_4 = TOps.MulAdd(a0, v4, c0_4); c0_5 = TOps.MulAdd(a0, v5, c0_5);
            TVec a1 = TOps.Load(r1 + q);
            c1_0 = TOps.MulAdd(a1, v0, c1_0); c1_1 = TOps.MulAdd(a1, v1, c1_1); c1_2 = TOps.MulAdd(a1, v2, c1_2); c1_3 = TOps.MulAdd(a1, v3, c1_3); c1_4 = TOps.MulAdd(a1, v4, c1_4); c1_5 = TOps.MulAdd(a1, v5, c1_5);
            TVec a2 = TOps.Load(r2 + q);
            c2_0 = TOps.MulAdd(a2, v0, c2_0); c2_1 = TOps.MulAdd(a2, v1, c2_1); c2_2 = TOps.MulAdd(a2, v2, c2_2); c2_3 = TOps.MulAdd(a2, v3, c2_3); c2_4 = TOps.MulAdd(a2, v4, c2_4); c2_5 = TOps.MulAdd(a2, v5, c2_5);
            TVec a3 = TOps.Load(r3 + q);
            c3_0 = TOps.MulAdd(a3, v0, c3_0); c3_1 = TOps.MulAdd(a3, v1, c3_1); c3_2 = TOps.MulAdd(a3, v2, c3_2); c3_3 = TOps.MulAdd(a3, v3, c3_3); c3_4 = TOps.MulAdd(a3, v4, c3_4); c3_5 = TOps.MulAdd(a3, v5, c3_5);
        }

        o[0] = TOps.Sum(c0_0); o[1] = TOps.Sum(c0_1); o[2] = TOps.Sum(c0_2); o[3] = TOps.Sum(c0_3); o[4] = TOps.Sum(c0_4); o[5] = TOps.Sum(c0_5);
        o[6] = TOps.Sum(c1_0); o[7] = TOps.Sum(c1_1); o[8] = TOps.Sum(c1_2); o[9] = TOps.Sum(c1_3); o[10] = TOps.Sum(c1_4); o[11] = TOps.Sum(c1_5);
        o[12] = TOps.Sum(c2_0); o[13] = TOps.Sum(c2_1); o[14] = TOps.Sum(c2_2); o[15] = TOps.Sum(c2_3); o[16] = TOps.Sum(c2_4); o[17] = TOps.Sum(c2_5);
        o[18] = TOps.Sum(c3_0); o[19] = TOps.Sum(c3_1); o[20] = TOps.Sum(c3_2); o[21] = TOps.Sum(c3_3); o[22] = TOps.Sum(c3_4); o[23] = TOps.Sum(c3_5);
        for (; q < k; q++)
        {
            o[0] += r0[q] * b0[q]; o[1] += r0[q] * b1[q]; o[2] += r0[q] * b2[q]; o[3] += r0[q] * b3[q]; o[4] += r0[q] * b4[q]; o[5] += r0[q] * b5[q];
            o[6] += r1[q] * b0[q]; o[7] += r1[q] * b1[q]; o[8] += r1[q] * b2[q]; o[9] += r1[q] * b3[q]; o[10] += r1[q] * b4[q]; o[11] += r1[q] * b5[q];
            o[12] += r2[q] * b0[q]; o[13] += r2[q] * b1[q]; o[14] += r2[q] * b2[q]; o[15] += r2[q] * b3[q]; o[16] += r2[q] * b4[q]; o[17] += r2[q] * b5[q];
            o[18] += r3[q] * b0[q]; o[19] += r3[q] * b1[q]; o[20] += r3[q] * b2[q]; o[21] += r3[q] * b3[q]; o[22] += r3[q] * b4[q]; o[23] += r3[q] * b5[q];
        }
    }
}
