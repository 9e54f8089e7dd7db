using System;
using System.Numerics.Tensors;

namespace Backends.Cpu;

/// <content>The skinny path: M ≤ 4 rows, where GEMM is GEMV-like and bound by reading B once.</content>
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
            // B is [N,K]: each output is a dot product over a contiguous row of B.
            CpuParallel.For(n, Math.Max(1, 32768 / Math.Max(k, 1)), (j0, j1) =>
            {
                Span<float> row = p.InType == DType.F32 ? default : CpuConvert.Scratch(0, k);
                Span<float> outs = CpuConvert.Scratch(1, m * (int)(j1 - j0));
                for (long j = j0; j < j1; j++)
                {
                    ReadOnlySpan<float> bRow = p.InType == DType.F32 ? new ReadOnlySpan<float>((float*)p.B + (j * k), k) : row;
                    if (p.InType != DType.F32)
                    {
                        CpuConvert.ToFloat(p.InType, p.B, j * k, row);
                    }

                    for (int i = 0; i < m; i++)
                    {
                        outs[(int)((i * (j1 - j0)) + (j - j0))] = TensorPrimitives.Dot(new ReadOnlySpan<float>(a, i * k, k), bRow);
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
                        ReadOnlySpan<float> bSeg = p.InType == DType.F32 ? new ReadOnlySpan<float>((float*)p.B + ((long)q * n) + j0, w) : seg;
                        if (p.InType != DType.F32)
                        {
                            CpuConvert.ToFloat(p.InType, p.B, ((long)q * n) + j0, seg);
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
        long at = ((long)i * p.N) + j0;
        TensorPrimitives.Multiply(values, p.Alpha, values);
        if (p.Beta != 0)
        {
            Span<float> old = CpuConvert.Scratch(2, values.Length);
            CpuConvert.ToFloat(p.CType, p.C, at, old);
            TensorPrimitives.MultiplyAdd(old, p.Beta, values, values);
        }

        CpuConvert.FromFloat(p.CType, values, p.C, at);
    }
}
