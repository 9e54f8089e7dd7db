using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <content>
/// The decode path for F16 and BF16 weights (B [N,K], M ≤ 16) on 512- and 256-bit vectors: B is widened in registers
/// as it is read, never through a buffer. A vector load of B takes 2·w 16-bit values (w = floats per vector); the
/// even-indexed ones widen in place in the low halves of the 32-bit lanes and the odd ones in the high halves, with
/// no shuffle (BF16: a shift and a mask). A dot product does not care about the order of its terms, so A is laid out
/// once per call in the same split order (per block of 2·w: its w even-indexed values, then its w odd ones), and each
/// half of B multiplies the matching half of A. B is read once, at half the bytes of F32.
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>C = alpha·A·Bᵀ + beta·C for M ≤ 16, B [N,K] of F16 or BF16; A already widened to F32, rows <paramref name="lda"/> apart.</summary>
    private static void DecodeHalf(GemmProblem p, float* pa, int lda)
    {
        if (p.InType == DType.BF16)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                DecodeHalf<Vec512, Vector512<float>, Bf16x512>(p, pa, lda);
            }
            else
            {
                DecodeHalf<Vec256, Vector256<float>, Bf16x256>(p, pa, lda);
            }
        }
        else if (Vector512.IsHardwareAccelerated)
        {
            DecodeHalf<Vec512, Vector512<float>, F16x512>(p, pa, lda);
        }
        else
        {
            DecodeHalf<Vec256, Vector256<float>, F16x256>(p, pa, lda);
        }
    }

    private static void DecodeHalf<TOps, TVec, THalf>(GemmProblem p, float* pa, int lda)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        int m = p.M, n = p.N, k = p.K, w = TOps.Count, block = 2 * w;
        int blocks = k / block, kv = blocks * block;

        // A in split order: per block, the w even-indexed values then the w odd ones; rows ls apart (64-byte multiples).
        int ls = RoundUp(Math.Max(kv, 1), 16) + 16;
        float* sa = RentCallBuffer(5, (long)m * ls, out bool owned);
        try
        {
            for (int i = 0; i < m; i++)
            {
                float* src = pa + ((long)i * lda), dst = sa + ((long)i * ls);
                for (int q = 0; q < kv; q += block)
                {
                    for (int l = 0; l < w; l++)
                    {
                        dst[q + l] = src[q + (2 * l)];
                        dst[q + w + l] = src[q + (2 * l) + 1];
                    }
                }
            }

            // One to four rows of A: each worker's range of B rows as four contiguous runs read side by side, every
            // load of B serving all rows of A (HalfDotsRuns4*). Five or more: tiles of six B rows, in groups of 4 rows of
            // A on the same six B rows (the later groups reading them from cache).
            const int step = 6;
            ushort* b16 = (ushort*)p.B;
            long ldb = p.LdB;
            CpuParallel.For((n + step - 1) / step, Math.Max(1, 8192 / Math.Max(k, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
            {
                long j0 = t0 * step, j1 = Math.Min(n, t1 * step);
                int width = (int)(j1 - j0);

                // Dot products over the vector part of K, m rows of width (at least four rows: the 4-row runs write four).
                float* dots = CpuConvert.ScratchPointer(0, Math.Max(m, 4) * width);
                ushort* bj = b16 + (j0 * ldb);
                if (m == 1)
                {
                    HalfDotsRuns4<TOps, TVec, THalf>(sa, blocks, bj, ldb, width, dots);
                }
                else if (m == 2)
                {
                    HalfDotsRuns4x2<TOps, TVec, THalf>(sa, ls, blocks, bj, ldb, width, dots, width);
                }
                else if (m <= 4)
                {
                    HalfDotsRuns4x4<TOps, TVec, THalf>(sa, ls, m, blocks, bj, ldb, width, dots, width);
                }
                else
                {
                    float* o = stackalloc float[24];
                    for (long j = j0; j < j1; j += step)
                    {
                        int cnt = (int)Math.Min(step, j1 - j);
                        for (int g = 0; g < m; g += 4)
                        {
                            int mg = Math.Min(4, m - g);
                            HalfDots4x6<TOps, TVec, THalf>(sa + ((long)g * ls), ls, mg, blocks, b16 + (j * ldb), ldb, cnt, o, j + (2 * step) <= j1 ? step * ldb : 0);
                            for (int i = 0; i < mg; i++)
                            {
                                for (int c = 0; c < cnt; c++)
                                {
                                    dots[((g + i) * width) + (int)(j - j0) + c] = o[(i * step) + c];
                                }
                            }
                        }
                    }
                }

                for (int i = 0; i < m; i++)
                {
                    // The K tail (fewer than 2·w values) in scalar code, in K order.
                    float* ai = pa + ((long)i * lda), di = dots + (i * width);
                    for (int c = 0; c < width; c++)
                    {
                        long row = (j0 + c) * ldb;
                        for (int q = kv; q < k; q++)
                        {
                            di[c] += ai[q] * CpuConvert.Load(p.InType, p.B, row + q);
                        }
                    }

                    WriteRow(p, i, (int)j0, new Span<float>(di, width));
                }
            });
        }
        finally
        {
            if (owned)
            {
                System.Runtime.InteropServices.NativeMemory.AlignedFree(sa);
            }
        }
    }

    /// <summary>o[j] = A·B_j over the split blocks for the 8 B rows b + j·ldb (B rows past cnt alias the last one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDots1x8<TOps, TVec, THalf>(float* a, int blocks, ushort* b, long ldb, int cnt, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        ushort* b0 = b, b1 = b + (Math.Min(1, cnt - 1) * ldb), b2 = b + (Math.Min(2, cnt - 1) * ldb), b3 = b + (Math.Min(3, cnt - 1) * ldb);
        ushort* b4 = b + (Math.Min(4, cnt - 1) * ldb), b5 = b + (Math.Min(5, cnt - 1) * ldb), b6 = b + (Math.Min(6, cnt - 1) * ldb), b7 = b + (Math.Min(7, cnt - 1) * ldb);
        int w = TOps.Count, block = 2 * w;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int s = 0, q = 0; s < blocks; s++, q += block)
        {
            TVec ae = TOps.Load(a + q), ao = TOps.Load(a + q + w);
            THalf.Load(b0 + q, out TVec e, out TVec d);
            c0 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c0));
            THalf.Load(b1 + q, out e, out d);
            c1 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c1));
            THalf.Load(b2 + q, out e, out d);
            c2 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c2));
            THalf.Load(b3 + q, out e, out d);
            c3 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c3));
            THalf.Load(b4 + q, out e, out d);
            c4 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c4));
            THalf.Load(b5 + q, out e, out d);
            c5 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c5));
            THalf.Load(b6 + q, out e, out d);
            c6 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c6));
            THalf.Load(b7 + q, out e, out d);
            c7 = TOps.MulAdd(ao, d, TOps.MulAdd(ae, e, c7));
        }

        o[0] = TOps.Sum(c0); o[1] = TOps.Sum(c1); o[2] = TOps.Sum(c2); o[3] = TOps.Sum(c3);
        o[4] = TOps.Sum(c4); o[5] = TOps.Sum(c5); o[6] = TOps.Sum(c6); o[7] = TOps.Sum(c7);
    }

    /// <summary>
    /// o[r] = A·B_r over the split blocks for r &lt; rows (one row of A): the rows are split into four contiguous runs
    /// walked side by side, so B is read as four long streams (see <see cref="DotsRuns4"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDotsRuns4<TOps, TVec, THalf>(float* a, int blocks, ushort* b, long ldb, int rows, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        int per = rows / 4, w = TOps.Count, block = 2 * w;
        for (int i = 0; i < per; i++)
        {
            ushort* b0 = b + ((long)i * ldb), b1 = b0 + (per * ldb), b2 = b1 + (per * ldb), b3 = b2 + (per * ldb);
            TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, d0 = TOps.Zero, d1 = TOps.Zero, d2 = TOps.Zero, d3 = TOps.Zero;
            for (int s = 0, q = 0; s < blocks; s++, q += block)
            {
                TVec ae = TOps.Load(a + q), ao = TOps.Load(a + q + w);
                PrefetchRuns4(b0 + q, b1 + q, b2 + q, b3 + q);

                THalf.Load(b0 + q, out TVec e, out TVec d);
                c0 = TOps.MulAdd(ae, e, c0);
                d0 = TOps.MulAdd(ao, d, d0);
                THalf.Load(b1 + q, out e, out d);
                c1 = TOps.MulAdd(ae, e, c1);
                d1 = TOps.MulAdd(ao, d, d1);
                THalf.Load(b2 + q, out e, out d);
                c2 = TOps.MulAdd(ae, e, c2);
                d2 = TOps.MulAdd(ao, d, d2);
                THalf.Load(b3 + q, out e, out d);
                c3 = TOps.MulAdd(ae, e, c3);
                d3 = TOps.MulAdd(ao, d, d3);
            }

            o[i] = TOps.Sum(TOps.Add(c0, d0));
            o[per + i] = TOps.Sum(TOps.Add(c1, d1));
            o[(2 * per) + i] = TOps.Sum(TOps.Add(c2, d2));
            o[(3 * per) + i] = TOps.Sum(TOps.Add(c3, d3));
        }

        int done = 4 * per;
        if (done < rows)
        {
            float* t = stackalloc float[8];
            HalfDots1x8<TOps, TVec, THalf>(a, blocks, b + (done * ldb), ldb, rows - done, t);
            for (int r = done; r < rows; r++)
            {
                o[r] = t[r - done];
            }
        }
    }

    /// <summary>o[i·ldo + r] = A_i·B_r for two rows of A (<paramref name="la"/> apart) and r &lt; rows, as <see cref="HalfDotsRuns4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDotsRuns4x2<TOps, TVec, THalf>(float* a, int la, int blocks, ushort* b, long ldb, int rows, float* o, int ldo)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        int per = rows / 4, w = TOps.Count, block = 2 * w;
        float* a1 = a + la;
        for (int i = 0; i < per; i++)
        {
            ushort* b0 = b + ((long)i * ldb), b1 = b0 + (per * ldb), b2 = b1 + (per * ldb), b3 = b2 + (per * ldb);
            TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, d0 = TOps.Zero, d1 = TOps.Zero, d2 = TOps.Zero, d3 = TOps.Zero;
            TVec f0 = TOps.Zero, f1 = TOps.Zero, f2 = TOps.Zero, f3 = TOps.Zero, g0 = TOps.Zero, g1 = TOps.Zero, g2 = TOps.Zero, g3 = TOps.Zero;
            for (int s = 0, q = 0; s < blocks; s++, q += block)
            {
                TVec ae = TOps.Load(a + q), ao = TOps.Load(a + q + w), be = TOps.Load(a1 + q), bo = TOps.Load(a1 + q + w);
                PrefetchRuns4(b0 + q, b1 + q, b2 + q, b3 + q);

                THalf.Load(b0 + q, out TVec e, out TVec d);
                c0 = TOps.MulAdd(ae, e, c0);
                d0 = TOps.MulAdd(ao, d, d0);
                f0 = TOps.MulAdd(be, e, f0);
                g0 = TOps.MulAdd(bo, d, g0);
                THalf.Load(b1 + q, out e, out d);
                c1 = TOps.MulAdd(ae, e, c1);
                d1 = TOps.MulAdd(ao, d, d1);
                f1 = TOps.MulAdd(be, e, f1);
                g1 = TOps.MulAdd(bo, d, g1);
                THalf.Load(b2 + q, out e, out d);
                c2 = TOps.MulAdd(ae, e, c2);
                d2 = TOps.MulAdd(ao, d, d2);
                f2 = TOps.MulAdd(be, e, f2);
                g2 = TOps.MulAdd(bo, d, g2);
                THalf.Load(b3 + q, out e, out d);
                c3 = TOps.MulAdd(ae, e, c3);
                d3 = TOps.MulAdd(ao, d, d3);
                f3 = TOps.MulAdd(be, e, f3);
                g3 = TOps.MulAdd(bo, d, g3);
            }

            o[i] = TOps.Sum(TOps.Add(c0, d0));
            o[per + i] = TOps.Sum(TOps.Add(c1, d1));
            o[(2 * per) + i] = TOps.Sum(TOps.Add(c2, d2));
            o[(3 * per) + i] = TOps.Sum(TOps.Add(c3, d3));
            o[ldo + i] = TOps.Sum(TOps.Add(f0, g0));
            o[ldo + per + i] = TOps.Sum(TOps.Add(f1, g1));
            o[ldo + (2 * per) + i] = TOps.Sum(TOps.Add(f2, g2));
            o[ldo + (3 * per) + i] = TOps.Sum(TOps.Add(f3, g3));
        }

        int done = 4 * per;
        if (done < rows)
        {
            float* t = stackalloc float[16];
            HalfDots2x8<TOps, TVec, THalf>(a, la, 2, blocks, b + (done * ldb), ldb, rows - done, t);
            for (int r = done; r < rows; r++)
            {
                o[r] = t[r - done];
                o[ldo + r] = t[8 + r - done];
            }
        }
    }

    /// <summary>o[i·ldo + r] = A_i·B_r for four rows of A (<paramref name="la"/> apart; rows past m alias the last, and o has four rows) and r &lt; rows, as <see cref="HalfDotsRuns4"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDotsRuns4x4<TOps, TVec, THalf>(float* a, int la, int m, int blocks, ushort* b, long ldb, int rows, float* o, int ldo)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        int per = rows / 4, w = TOps.Count, block = 2 * w;
        float* a1 = a + (Math.Min(1, m - 1) * (long)la), a2 = a + (Math.Min(2, m - 1) * (long)la), a3 = a + (Math.Min(3, m - 1) * (long)la);
        for (int i = 0; i < per; i++)
        {
            ushort* b0 = b + ((long)i * ldb), b1 = b0 + (per * ldb), b2 = b1 + (per * ldb), b3 = b2 + (per * ldb);
            TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
            TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
            for (int s = 0, q = 0; s < blocks; s++, q += block)
            {
                TVec ae0 = TOps.Load(a + q), ao0 = TOps.Load(a + q + w), ae1 = TOps.Load(a1 + q), ao1 = TOps.Load(a1 + q + w);
                TVec ae2 = TOps.Load(a2 + q), ao2 = TOps.Load(a2 + q + w), ae3 = TOps.Load(a3 + q), ao3 = TOps.Load(a3 + q + w);
                PrefetchRuns4(b0 + q, b1 + q, b2 + q, b3 + q);

                THalf.Load(b0 + q, out TVec e, out TVec d);
                c00 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c00));
                c10 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c10));
                c20 = TOps.MulAdd(ao2, d, TOps.MulAdd(ae2, e, c20));
                c30 = TOps.MulAdd(ao3, d, TOps.MulAdd(ae3, e, c30));
                THalf.Load(b1 + q, out e, out d);
                c01 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c01));
                c11 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c11));
                c21 = TOps.MulAdd(ao2, d, TOps.MulAdd(ae2, e, c21));
                c31 = TOps.MulAdd(ao3, d, TOps.MulAdd(ae3, e, c31));
                THalf.Load(b2 + q, out e, out d);
                c02 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c02));
                c12 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c12));
                c22 = TOps.MulAdd(ao2, d, TOps.MulAdd(ae2, e, c22));
                c32 = TOps.MulAdd(ao3, d, TOps.MulAdd(ae3, e, c32));
                THalf.Load(b3 + q, out e, out d);
                c03 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c03));
                c13 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c13));
                c23 = TOps.MulAdd(ao2, d, TOps.MulAdd(ae2, e, c23));
                c33 = TOps.MulAdd(ao3, d, TOps.MulAdd(ae3, e, c33));
            }

            float* oi = o + i;
            oi[0] = TOps.Sum(c00); oi[per] = TOps.Sum(c01); oi[2 * per] = TOps.Sum(c02); oi[3 * per] = TOps.Sum(c03);
            oi += ldo;
            oi[0] = TOps.Sum(c10); oi[per] = TOps.Sum(c11); oi[2 * per] = TOps.Sum(c12); oi[3 * per] = TOps.Sum(c13);
            oi += ldo;
            oi[0] = TOps.Sum(c20); oi[per] = TOps.Sum(c21); oi[2 * per] = TOps.Sum(c22); oi[3 * per] = TOps.Sum(c23);
            oi += ldo;
            oi[0] = TOps.Sum(c30); oi[per] = TOps.Sum(c31); oi[2 * per] = TOps.Sum(c32); oi[3 * per] = TOps.Sum(c33);
        }

        float* t = stackalloc float[24];
        for (int r = 4 * per; r < rows; r += 6)
        {
            int cnt = Math.Min(6, rows - r);
            HalfDots4x6<TOps, TVec, THalf>(a, la, m, blocks, b + (r * ldb), ldb, cnt, t, 0);
            for (int i = 0; i < 4; i++)
            {
                for (int c = 0; c < cnt; c++)
                {
                    o[(i * ldo) + r + c] = t[(i * 6) + c];
                }
            }
        }
    }

    /// <summary>o[i·8 + j] = A_i·B_j over the split blocks for 2 rows of A (la apart; rows past m alias the last) and 8 B rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDots2x8<TOps, TVec, THalf>(float* a, int la, int m, int blocks, ushort* b, long ldb, int cnt, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        float* r0 = a, r1 = a + (Math.Min(1, m - 1) * (long)la);
        ushort* b0 = b, b1 = b + (Math.Min(1, cnt - 1) * ldb), b2 = b + (Math.Min(2, cnt - 1) * ldb), b3 = b + (Math.Min(3, cnt - 1) * ldb);
        ushort* b4 = b + (Math.Min(4, cnt - 1) * ldb), b5 = b + (Math.Min(5, cnt - 1) * ldb), b6 = b + (Math.Min(6, cnt - 1) * ldb), b7 = b + (Math.Min(7, cnt - 1) * ldb);
        int w = TOps.Count, block = 2 * w;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero, c04 = TOps.Zero, c05 = TOps.Zero, c06 = TOps.Zero, c07 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero, c14 = TOps.Zero, c15 = TOps.Zero, c16 = TOps.Zero, c17 = TOps.Zero;
        for (int s = 0, q = 0; s < blocks; s++, q += block)
        {
            TVec ae0 = TOps.Load(r0 + q), ao0 = TOps.Load(r0 + q + w), ae1 = TOps.Load(r1 + q), ao1 = TOps.Load(r1 + q + w);
            THalf.Load(b0 + q, out TVec e, out TVec d);
            c00 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c00));
            c10 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c10));
            THalf.Load(b1 + q, out e, out d);
            c01 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c01));
            c11 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c11));
            THalf.Load(b2 + q, out e, out d);
            c02 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c02));
            c12 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c12));
            THalf.Load(b3 + q, out e, out d);
            c03 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c03));
            c13 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c13));
            THalf.Load(b4 + q, out e, out d);
            c04 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c04));
            c14 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c14));
            THalf.Load(b5 + q, out e, out d);
            c05 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c05));
            c15 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c15));
            THalf.Load(b6 + q, out e, out d);
            c06 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c06));
            c16 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c16));
            THalf.Load(b7 + q, out e, out d);
            c07 = TOps.MulAdd(ao0, d, TOps.MulAdd(ae0, e, c07));
            c17 = TOps.MulAdd(ao1, d, TOps.MulAdd(ae1, e, c17));
        }

        o[0] = TOps.Sum(c00); o[1] = TOps.Sum(c01); o[2] = TOps.Sum(c02); o[3] = TOps.Sum(c03);
        o[4] = TOps.Sum(c04); o[5] = TOps.Sum(c05); o[6] = TOps.Sum(c06); o[7] = TOps.Sum(c07);
        o[8] = TOps.Sum(c10); o[9] = TOps.Sum(c11); o[10] = TOps.Sum(c12); o[11] = TOps.Sum(c13);
        o[12] = TOps.Sum(c14); o[13] = TOps.Sum(c15); o[14] = TOps.Sum(c16); o[15] = TOps.Sum(c17);
    }

    /// <summary>o[i·6 + j] = A_i·B_j over the split blocks for 4 rows of A (la apart; rows past m alias the last) and 6 B rows; <paramref name="next"/>: elements from these B rows to the next tile's (0: none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDots4x6<TOps, TVec, THalf>(float* a, int la, int m, int blocks, ushort* b, long ldb, int cnt, float* o, long next)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where THalf : struct, IHalfPairs<TVec>
    {
        float* r0 = a, r1 = a + (Math.Min(1, m - 1) * (long)la), r2 = a + (Math.Min(2, m - 1) * (long)la), r3 = a + (Math.Min(3, m - 1) * (long)la);
        ushort* b0 = b, b1 = b + (Math.Min(1, cnt - 1) * ldb), b2 = b + (Math.Min(2, cnt - 1) * ldb);
        ushort* b3 = b + (Math.Min(3, cnt - 1) * ldb), b4 = b + (Math.Min(4, cnt - 1) * ldb), b5 = b + (Math.Min(5, cnt - 1) * ldb);
        int w = TOps.Count, block = 2 * w;
        long jump = NextTileJump((nint)next * sizeof(ushort), blocks, block * sizeof(ushort), out int wrapAt) / sizeof(ushort);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero, c04 = TOps.Zero, c05 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero, c14 = TOps.Zero, c15 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero, c24 = TOps.Zero, c25 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero, c34 = TOps.Zero, c35 = TOps.Zero;
        for (int s = 0, q = 0; s < blocks; s++, q += block)
        {
            // Each B row's line 1 KiB ahead (for the later groups of A rows the lines are already in cache): one core,
            // BF16 8×4096×4096 84 → 104 GFLOP/s, 5×2048×7168 66 → 79, 8×7168×2048 92 → 96; F16 8× and 12× +4–6%. Near
            // the end of the rows, the next tile's first lines instead (next, in elements; 0 for none): BF16
            // 8×7168×2048 88 → 107, 5× 47 → 58, 8×4096×4096 82 → 94.
            long f = q + (s >= wrapAt ? jump : 0);
            PrefetchRuns4(b0 + f, b1 + f, b2 + f, b3 + f);
            PrefetchAhead(b4 + f);
            PrefetchAhead(b5 + f);

            // One B row at a time (its two halves against the four rows' halves, A read from L1 as FMA operands): 24
            // accumulators and two B vectors stay in registers, where holding all six rows' halves spilled.
            THalf.Load(b0 + q, out TVec e, out TVec d);
            c00 = HalfFma<TOps, TVec>(r0 + q, w, e, d, c00);
            c10 = HalfFma<TOps, TVec>(r1 + q, w, e, d, c10);
            c20 = HalfFma<TOps, TVec>(r2 + q, w, e, d, c20);
            c30 = HalfFma<TOps, TVec>(r3 + q, w, e, d, c30);
            THalf.Load(b1 + q, out e, out d);
            c01 = HalfFma<TOps, TVec>(r0 + q, w, e, d, c01);
            c11 = HalfFma<TOps, TVec>(r1 + q, w, e, d, c11);
            c21 = HalfFma<TOps, TVec>(r2 + q, w, e, d, c21);
            c31 = HalfFma<TOps, TVec>(r3 + q, w, e, d, c31);
            THalf.Load(b2 + q, out e, out d);
            c02 = HalfFma<TOps, TVec>(r0 + q, w, e, d, c02);
            c12 = HalfFma<TOps, TVec>(r1 + q, w, e, d, c12);
            c22 = HalfFma<TOps, TVec>(r2 + q, w, e, d, c22);
            c32 = HalfFma<TOps, TVec>(r3 + q, w, e, d, c32);
            THalf.Load(b3 + q, out e, out d);
            c03 = HalfFma<TOps, TVec>(r0 + q, w, e, d, c03);
            c13 = HalfFma<TOps, TVec>(r1 + q, w, e, d, c13);
            c23 = HalfFma<TOps, TVec>(r2 + q, w, e, d, c23);
            c33 = HalfFma<TOps, TVec>(r3 + q, w, e, d, c33);
            THalf.Load(b4 + q, out e, out d);
            c04 = HalfFma<TOps, TVec>(r0 + q, w, e, d, c04);
            c14 = HalfFma<TOps, TVec>(r1 + q, w, e, d, c14);
            c24 = HalfFma<TOps, TVec>(r2 + q, w, e, d, c24);
            c34 = HalfFma<TOps, TVec>(r3 + q, w, e, d, c34);
            THalf.Load(b5 + q, out e, out d);
            c05 = HalfFma<TOps, TVec>(r0 + q, w, e, d, c05);
            c15 = HalfFma<TOps, TVec>(r1 + q, w, e, d, c15);
            c25 = HalfFma<TOps, TVec>(r2 + q, w, e, d, c25);
            c35 = HalfFma<TOps, TVec>(r3 + q, w, e, d, c35);
        }

        o[0] = TOps.Sum(c00); o[1] = TOps.Sum(c01); o[2] = TOps.Sum(c02); o[3] = TOps.Sum(c03); o[4] = TOps.Sum(c04); o[5] = TOps.Sum(c05);
        o[6] = TOps.Sum(c10); o[7] = TOps.Sum(c11); o[8] = TOps.Sum(c12); o[9] = TOps.Sum(c13); o[10] = TOps.Sum(c14); o[11] = TOps.Sum(c15);
        o[12] = TOps.Sum(c20); o[13] = TOps.Sum(c21); o[14] = TOps.Sum(c22); o[15] = TOps.Sum(c23); o[16] = TOps.Sum(c24); o[17] = TOps.Sum(c25);
        o[18] = TOps.Sum(c30); o[19] = TOps.Sum(c31); o[20] = TOps.Sum(c32); o[21] = TOps.Sum(c33); o[22] = TOps.Sum(c34); o[23] = TOps.Sum(c35);
    }

    /// <summary>c + a[0..w)·even + a[w..2w)·odd: one split block of a row of A (read from L1 as FMA operands) against both halves of a B block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec HalfFma<TOps, TVec>(float* a, int w, TVec even, TVec odd, TVec c)
        where TOps : IVecOps<TVec>
        where TVec : struct
        => TOps.MulAdd(TOps.Load(a + w), odd, TOps.MulAdd(TOps.Load(a), even, c));

    /// <summary>Two vectors' worth of 16-bit floats widened from one load: the even-indexed values and the odd-indexed ones.</summary>
    private interface IHalfPairs<TVec>
        where TVec : struct
    {
        /// <summary>Loads 2·w values at <paramref name="p"/> (w = lanes): <paramref name="even"/> lane l = p[2l], <paramref name="odd"/> lane l = p[2l + 1], as F32.</summary>
        static abstract void Load(ushort* p, out TVec even, out TVec odd);
    }

    private readonly struct Bf16x512 : IHalfPairs<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ushort* p, out Vector512<float> even, out Vector512<float> odd)
        {
            Vector512<uint> u = Vector512.Load((uint*)p);
            even = Vector512.ShiftLeft(u, 16).AsSingle();
            odd = (u & Vector512.Create(0xFFFF0000u)).AsSingle();
        }
    }

    private readonly struct Bf16x256 : IHalfPairs<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ushort* p, out Vector256<float> even, out Vector256<float> odd)
        {
            Vector256<uint> u = Vector256.Load((uint*)p);
            even = Vector256.ShiftLeft(u, 16).AsSingle();
            odd = (u & Vector256.Create(0xFFFF0000u)).AsSingle();
        }
    }

    private readonly struct F16x512 : IHalfPairs<Vector512<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ushort* p, out Vector512<float> even, out Vector512<float> odd)
        {
            Vector512<uint> u = Vector512.Load((uint*)p);
            even = CpuConvert.WidenHalfLanes(u);
            odd = CpuConvert.WidenHalfLanes(Vector512.ShiftRightLogical(u, 16));
        }
    }

    private readonly struct F16x256 : IHalfPairs<Vector256<float>>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Load(ushort* p, out Vector256<float> even, out Vector256<float> odd)
        {
            Vector256<uint> u = Vector256.Load((uint*)p);
            even = CpuConvert.WidenHalfLanes(u);
            odd = CpuConvert.WidenHalfLanes(Vector256.ShiftRightLogical(u, 16));
        }
    }
}
