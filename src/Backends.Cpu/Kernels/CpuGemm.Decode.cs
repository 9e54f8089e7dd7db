using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <content>The decode micro-kernels for one and two rows of A: B read as eight adjacent rows, or as four runs of rows.</content>
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

    /// <summary>
    /// o[r] = Σ_q a[q]·b[r·ldb + q] for r &lt; rows (one row of A against a range of B rows): the rows are split into
    /// four contiguous runs walked side by side (rows i, per + i, 2·per + i, 3·per + i together), so B is read as four
    /// long streams, one vector of each per step (4–10% ahead of two); the last rows % 4 rows go through
    /// <see cref="Dots1x8{TOps, TVec}"/>.
    /// Measured here (one core, B out of cache): eight adjacent rows at once read 29–31 GB/s, these four runs 34–37;
    /// 1×4096×4096 14.6 → 17.1 GFLOP/s, 1×7168×2048 12.9 → 17.0; on two cores +10–18%. In C on the same machine four
    /// long streams read 38–43 GB/s, eight adjacent rows 34–37, twelve long streams 30–34. Splitting K into blocks
    /// (shorter runs) cost 15–25%, and software prefetch did not help here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotsRuns4<TOps, TVec>(float* a, int k, float* b, long ldb, int rows, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int per = rows / 4, w = TOps.Count;
        for (int i = 0; i < per; i++)
        {
            float* b0 = b + ((long)i * ldb), b1 = b0 + (per * ldb), b2 = b1 + (per * ldb), b3 = b2 + (per * ldb);
            TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
            int q = 0;
            for (; q + w <= k; q += w)
            {
                TVec v = TOps.Load(a + q);
                c0 = TOps.MulAdd(v, TOps.Load(b0 + q), c0);
                c1 = TOps.MulAdd(v, TOps.Load(b1 + q), c1);
                c2 = TOps.MulAdd(v, TOps.Load(b2 + q), c2);
                c3 = TOps.MulAdd(v, TOps.Load(b3 + q), c3);
            }

            float s0 = TOps.Sum(c0), s1 = TOps.Sum(c1), s2 = TOps.Sum(c2), s3 = TOps.Sum(c3);
            for (; q < k; q++)
            {
                float x = a[q];
                s0 += x * b0[q]; s1 += x * b1[q]; s2 += x * b2[q]; s3 += x * b3[q];
            }

            o[i] = s0; o[per + i] = s1; o[(2 * per) + i] = s2; o[(3 * per) + i] = s3;
        }

        int done = 4 * per;
        if (done < rows)
        {
            float* t = stackalloc float[8];
            Dots1x8<TOps, TVec>(a, k, b + (done * ldb), ldb, rows - done, t);
            for (int r = done; r < rows; r++)
            {
                o[r] = t[r - done];
            }
        }
    }

    /// <summary>
    /// Runs of B rows that one row of A reads side by side (<see cref="CpuTuning.OneRowRuns"/>): 8 on Intel cores, 4 elsewhere. Measured (one core, B out of
    /// cache, A/B in one process): on an Intel Xeon (Ice Lake) eight runs against four 1×4096×4096 7.0 → 7.5 GFLOP/s,
    /// 1×2048×7168 7.5 → 8.1, 1×7168×2048 7.2 → 7.9 (in C there, 4 / 8 / 12 read streams drew 15 / 17 / 17 GB/s); on an
    /// AMD EPYC (Zen 5) four long streams read 38–43 GB/s and twelve 30–34 (C), so AMD keeps four.
    /// </summary>
    internal static readonly int OneRowRuns = CpuTuning.Current.OneRowRuns;

    /// <summary>
    /// As <see cref="DotsRuns4{TOps, TVec}"/> with eight runs of B rows side by side (rows i, per + i, …, 7·per + i):
    /// those eight rows are per·ldb apart, so <see cref="Dots1x8{TOps, TVec}"/> reads them as it reads eight adjacent
    /// ones; the last rows % 8 rows go through it as adjacent rows. Taken where <see cref="OneRowRuns"/> is 8.
    /// </summary>
    private static void DotsRuns8<TOps, TVec>(float* a, int k, float* b, long ldb, int rows, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int per = rows / 8;
        float* t = stackalloc float[8];
        for (int i = 0; i < per; i++)
        {
            Dots1x8<TOps, TVec>(a, k, b + ((long)i * ldb), per * ldb, 8, t);
            for (int j = 0; j < 8; j++)
            {
                o[(j * per) + i] = t[j];
            }
        }

        int done = 8 * per;
        if (done < rows)
        {
            Dots1x8<TOps, TVec>(a, k, b + (done * ldb), ldb, rows - done, t);
            for (int r = done; r < rows; r++)
            {
                o[r] = t[r - done];
            }
        }
    }

    /// <summary>
    /// o[i·ldo + r] = Σ_q a[i·lda + q]·b[r·ldb + q] for two rows i of A and r &lt; rows: as <see cref="DotsRuns4"/>, four
    /// runs of B rows side by side, each load of B serving both rows of A, and each run's line 1 KiB ahead fetched
    /// into L1 (with twice the arithmetic per line of B the loop holds too few loads in flight for the hardware
    /// prefetcher alone). One core, A/B against 2×8 tiles of adjacent rows: 2×4096×4096 23.1 → 25.9 GFLOP/s,
    /// 2×7168×2048 19.0 → 22.3, 2×2048×7168 24.9 → 27.9. The last rows % 4 rows go through <see cref="Dots2x8{TOps, TVec}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotsRuns4x2<TOps, TVec>(float* a, int lda, int k, float* b, long ldb, int rows, float* o, int ldo)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int per = rows / 4, w = TOps.Count;
        float* a1 = a + lda;
        for (int i = 0; i < per; i++)
        {
            float* b0 = b + ((long)i * ldb), b1 = b0 + (per * ldb), b2 = b1 + (per * ldb), b3 = b2 + (per * ldb);
            TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, e0 = TOps.Zero, e1 = TOps.Zero, e2 = TOps.Zero, e3 = TOps.Zero;
            int q = 0;
            for (; q + w <= k; q += w)
            {
                if (((q * sizeof(float)) & 63) == 0)
                {
                    PrefetchRuns4(b0 + q, b1 + q, b2 + q, b3 + q);
                }

                TVec v = TOps.Load(a + q), y = TOps.Load(a1 + q), x;
                x = TOps.Load(b0 + q); c0 = TOps.MulAdd(v, x, c0); e0 = TOps.MulAdd(y, x, e0);
                x = TOps.Load(b1 + q); c1 = TOps.MulAdd(v, x, c1); e1 = TOps.MulAdd(y, x, e1);
                x = TOps.Load(b2 + q); c2 = TOps.MulAdd(v, x, c2); e2 = TOps.MulAdd(y, x, e2);
                x = TOps.Load(b3 + q); c3 = TOps.MulAdd(v, x, c3); e3 = TOps.MulAdd(y, x, e3);
            }

            float s0 = TOps.Sum(c0), s1 = TOps.Sum(c1), s2 = TOps.Sum(c2), s3 = TOps.Sum(c3);
            float t0 = TOps.Sum(e0), t1 = TOps.Sum(e1), t2 = TOps.Sum(e2), t3 = TOps.Sum(e3);
            for (; q < k; q++)
            {
                float x = a[q], y = a1[q];
                s0 += x * b0[q]; s1 += x * b1[q]; s2 += x * b2[q]; s3 += x * b3[q];
                t0 += y * b0[q]; t1 += y * b1[q]; t2 += y * b2[q]; t3 += y * b3[q];
            }

            o[i] = s0; o[per + i] = s1; o[(2 * per) + i] = s2; o[(3 * per) + i] = s3;
            o[ldo + i] = t0; o[ldo + per + i] = t1; o[ldo + (2 * per) + i] = t2; o[ldo + (3 * per) + i] = t3;
        }

        int done = 4 * per;
        if (done < rows)
        {
            float* t = stackalloc float[16];
            Dots2x8<TOps, TVec>(a, 2, lda, k, b + (done * ldb), ldb, rows - done, t);
            for (int r = done; r < rows; r++)
            {
                o[r] = t[r - done];
                o[ldo + r] = t[8 + r - done];
            }
        }
    }
}
