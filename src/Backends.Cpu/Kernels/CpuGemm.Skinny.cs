using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <content>The skinny path: M ≤ 8 rows, where GEMM is GEMV-like and bound by reading B once.</content>
internal static unsafe partial class CpuGemm
{
    private static void Skinny(GemmProblem p)
    {
        int m = p.M, n = p.N, k = p.K;
        var a = new float[m * k];
        for (int i = 0; i < m; i++)
        {
            for (int q = 0; q < k; q++)
            {
                a[(i * k) + q] = p.LoadA(i, q);
            }
        }

        if (p.TransB)
        {
            // B is [N,K]: each output is a dot product over a contiguous row of B. Every B row is read once and feeds
            // all M rows of A at the same time (A stays in cache), so the loop is bound by reading B.
            CpuParallel.For(n, Math.Max(1, 32768 / Math.Max(k, 1)), (j0, j1) =>
            {
                Span<float> row = p.InType == DType.F32 ? default : CpuConvert.Scratch(0, k);
                Span<float> outs = CpuConvert.Scratch(1, m * (int)(j1 - j0));
                Span<float> dots = stackalloc float[8];
                for (long j = j0; j < j1; j++)
                {
                    ReadOnlySpan<float> bRow = p.InType == DType.F32 ? new ReadOnlySpan<float>((float*)p.B + (j * p.LdB), k) : row;
                    if (p.InType != DType.F32)
                    {
                        CpuConvert.ToFloat(p.InType, p.B, j * p.LdB, row);
                    }

                    if (m == 1)
                    {
                        dots[0] = TensorPrimitives.Dot(new ReadOnlySpan<float>(a, 0, k), bRow);
                    }
                    else
                    {
                        MultiDot(a, m, k, bRow, dots);
                    }

                    for (int i = 0; i < m; i++)
                    {
                        outs[(int)((i * (j1 - j0)) + (j - j0))] = dots[i];
                    }
                }

                for (int i = 0; i < m; i++)
                {
                    WriteRow(p, i, (int)j0, outs.Slice((int)(i * (j1 - j0)), (int)(j1 - j0)));
                }
            });
        }
        else
        {
            // B is [K,N]: accumulate a[i,q]·B[q, chunk] over q, one column chunk per task.
            const int Chunk = 512;
            CpuParallel.For((n + Chunk - 1) / Chunk, 1, (c0, c1) =>
            {
                for (long c = c0; c < c1; c++)
                {
                    int j0 = (int)(c * Chunk), w = Math.Min(Chunk, n - j0);
                    Span<float> acc = CpuConvert.Scratch(0, m * w);
                    Span<float> seg = CpuConvert.Scratch(1, w);
                    acc.Clear();
                    for (int q = 0; q < k; q++)
                    {
                        ReadOnlySpan<float> bSeg = p.InType == DType.F32 ? new ReadOnlySpan<float>((float*)p.B + ((long)q * p.LdB) + j0, w) : seg;
                        if (p.InType != DType.F32)
                        {
                            CpuConvert.ToFloat(p.InType, p.B, ((long)q * p.LdB) + j0, seg);
                        }

                        for (int i = 0; i < m; i++)
                        {
                            Span<float> ai = acc.Slice(i * w, w);
                            TensorPrimitives.MultiplyAdd(bSeg, a[(i * k) + q], ai, ai);
                        }
                    }

                    for (int i = 0; i < m; i++)
                    {
                        WriteRow(p, i, j0, acc.Slice(i * w, w));
                    }
                }
            });
        }
    }

    /// <summary>C[i, j0..] = alpha·values + beta·C (C not read when beta = 0), converted to C's dtype. Overwrites values.</summary>
    private static void WriteRow(GemmProblem p, int i, int j0, Span<float> values)
    {
        long at = ((long)i * p.LdC) + j0;
        TensorPrimitives.Multiply(values, p.Alpha, values);
        if (p.Beta != 0)
        {
            Span<float> old = CpuConvert.Scratch(2, values.Length);
            CpuConvert.ToFloat(p.CType, p.C, at, old);
            TensorPrimitives.MultiplyAdd(old, p.Beta, values, values);
        }

        CpuConvert.FromFloat(p.CType, values, p.C, at);
    }

    /// <summary>dots[i] = Σ_q a[i·k + q]·b[q] for i &lt; m ≤ 8, reading b once: eight vector accumulators, rows past m alias the last row.</summary>
    private static void MultiDot(float[] a, int m, int k, ReadOnlySpan<float> b, Span<float> dots)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            MultiDot<Vec512, Vector512<float>>(a, m, k, b, dots);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            MultiDot<Vec256, Vector256<float>>(a, m, k, b, dots);
        }
        else
        {
            MultiDot<Vec128, Vector128<float>>(a, m, k, b, dots);
        }
    }

    private static void MultiDot<TOps, TVec>(float[] a, int m, int k, ReadOnlySpan<float> b, Span<float> dots)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        fixed (float* pa = a, pb = b)
        {
            float* r0 = pa, r1 = pa + (Math.Min(1, m - 1) * k), r2 = pa + (Math.Min(2, m - 1) * k), r3 = pa + (Math.Min(3, m - 1) * k);
            float* r4 = pa + (Math.Min(4, m - 1) * k), r5 = pa + (Math.Min(5, m - 1) * k), r6 = pa + (Math.Min(6, m - 1) * k), r7 = pa + (Math.Min(7, m - 1) * k);
            int w = TOps.Count, q = 0;
            TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
            for (; q + w <= k; q += w)
            {
                TVec v = TOps.Load(pb + q);
                c0 = TOps.MulAdd(TOps.Load(r0 + q), v, c0);
                c1 = TOps.MulAdd(TOps.Load(r1 + q), v, c1);
                c2 = TOps.MulAdd(TOps.Load(r2 + q), v, c2);
                c3 = TOps.MulAdd(TOps.Load(r3 + q), v, c3);
                c4 = TOps.MulAdd(TOps.Load(r4 + q), v, c4);
                c5 = TOps.MulAdd(TOps.Load(r5 + q), v, c5);
                c6 = TOps.MulAdd(TOps.Load(r6 + q), v, c6);
                c7 = TOps.MulAdd(TOps.Load(r7 + q), v, c7);
            }

            dots[0] = TOps.Sum(c0); dots[1] = TOps.Sum(c1); dots[2] = TOps.Sum(c2); dots[3] = TOps.Sum(c3);
            dots[4] = TOps.Sum(c4); dots[5] = TOps.Sum(c5); dots[6] = TOps.Sum(c6); dots[7] = TOps.Sum(c7);
            for (; q < k; q++)
            {
                float v = pb[q];
                dots[0] += r0[q] * v; dots[1] += r1[q] * v; dots[2] += r2[q] * v; dots[3] += r3[q] * v;
                dots[4] += r4[q] * v; dots[5] += r5[q] * v; dots[6] += r6[q] * v; dots[7] += r7[q] * v;
            }
        }
    }
}
