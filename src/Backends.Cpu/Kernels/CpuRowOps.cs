using System;
using System.Numerics.Tensors;

namespace Backends.Cpu;

/// <summary>Row reductions: softmax and RMS norm, one row at a time per core, in F32.</summary>
internal static class CpuRowOps
{
    /// <summary>Max-subtracted softmax of each row (see <see cref="IKernels.Softmax"/>).</summary>
    public static void Softmax(SoftmaxArgs a, nint x, nint y)
    {
        DType t = a.X.DType;
        int cols = a.Cols;
        CpuParallel.For(a.Rows, Math.Max(1, 16384 / cols), (r0, r1) =>
        {
            Span<float> row = CpuConvert.Scratch(0, cols);
            for (long r = r0; r < r1; r++)
            {
                long at = r * cols;
                int kept = a.KeptColumns(r);
                CpuConvert.ToFloat(t, x, at, row);
                Span<float> v = row[..kept];
                if (kept > 0)
                {
                    if (a.Scale != 1f)
                    {
                        TensorPrimitives.Multiply(v, a.Scale, v);
                    }

                    // Max propagates NaN, and x − max of +inf is NaN: either way the sum, and so the row, is NaN.
                    float max = TensorPrimitives.Max(v);
                    TensorPrimitives.Subtract(v, max, v);
                    TensorPrimitives.Exp(v, v);
                    float sum = TensorPrimitives.Sum(v);
                    TensorPrimitives.Divide(v, sum, v);
                }

                row[kept..].Clear();
                CpuConvert.FromFloat(t, row, y, at);
            }
        });
    }

    /// <summary>y = x / sqrt(mean(x²) + eps) · gamma per row.</summary>
    public static void RmsNorm(RmsNormArgs a, nint x, nint gamma, nint y)
    {
        DType t = a.X.DType;
        int cols = a.Cols;
        float[] g = new float[cols];
        CpuConvert.ToFloat(t, gamma, 0, g);
        CpuParallel.For(a.Rows, Math.Max(1, 16384 / cols), (r0, r1) =>
        {
            Span<float> row = CpuConvert.Scratch(0, cols);
            for (long r = r0; r < r1; r++)
            {
                long at = r * cols;
                CpuConvert.ToFloat(t, x, at, row);
                double ms = TensorPrimitives.SumOfSquares(row) / (double)cols;
                float inv = (float)(1.0 / Math.Sqrt(ms + a.Eps));
                TensorPrimitives.Multiply(row, inv, row);
                TensorPrimitives.Multiply(row, g, row);
                CpuConvert.FromFloat(t, row, y, at);
            }
        });
    }
}
