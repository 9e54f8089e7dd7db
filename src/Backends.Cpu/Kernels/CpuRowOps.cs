using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <summary>Row reductions: softmax and RMS norm, rows spread over cores, F32 math. F32 rows are read in place; narrower dtypes go through a scratch row.</summary>
internal static class CpuRowOps
{
    /// <summary>Max-subtracted softmax of each row (see <see cref="IKernels.Softmax"/>).</summary>
    public static unsafe void Softmax(SoftmaxArgs a, nint x, nint y)
    {
        DType t = a.X.DType;
        int cols = a.Cols;
        TensorView xv = a.X, yv = a.Y;

        // A large F32 output of its own is staged a row at a time in the cache and written with non-temporal stores
        // while the next row's exponentials are computed (see CpuFused.SoftmaxRow).
        bool stream = t == DType.F32 && StreamsOutput(yv, xv);
        CpuParallel.For(a.Rows, RowsPerChunk(cols), (r0, r1) =>
        {
            Span<float> scratch = t == DType.F32 ? default : CpuConvert.Scratch(0, cols);
            float* stage0 = stream ? CpuConvert.ScratchPointer(1, cols) : null, stage1 = stream ? CpuConvert.ScratchPointer(2, cols) : null;
            SoftmaxPending pending = default;
            for (long r = r0; r < r1; r++)
            {
                long xat = xv.ElementOffset(r * cols), yat = yv.ElementOffset(r * cols);
                int kept = a.KeptColumns(r);
                ReadOnlySpan<float> src;
                Span<float> dst;
                if (t == DType.F32)
                {
                    src = new ReadOnlySpan<float>((float*)x + xat, cols);
                    dst = new Span<float>((float*)y + yat, cols);
                }
                else
                {
                    CpuConvert.ToFloat(t, x, xat, scratch);
                    src = scratch;
                    dst = scratch;
                }

                fixed (float* ps = src, pd = dst)
                {
                    // The next row of this chunk is fetched during this one's exp sweep (F32 rows are read in place).
                    float* next = t == DType.F32 && r + 1 < r1 ? (float*)x + xv.ElementOffset((r + 1) * cols) : null;
                    CpuFused.SoftmaxRow(ps, pd, kept, cols, a.Scale, next, ((r - r0) & 1) == 0 ? stage0 : stage1, ref pending);
                }

                if (t != DType.F32)
                {
                    CpuConvert.FromFloat(t, scratch, y, yat);
                }
            }

            if (stream)
            {
                CpuFused.SoftmaxFlush(ref pending);
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>y = x / sqrt(mean(x²) + eps) · gamma per row.</summary>
    public static unsafe void RmsNorm(RmsNormArgs a, nint x, nint gamma, nint y)
    {
        DType t = a.X.DType;
        int cols = a.Cols;
        float[] g = new float[cols];
        CpuConvert.ToFloat(t, gamma, 0, g);
        TensorView xv = a.X, yv = a.Y;

        // A large F32 output of its own goes out with non-temporal stores (not read again soon, no read for ownership).
        bool stream = StreamsOutput(yv, xv);
        CpuParallel.For(a.Rows, RowsPerChunk(cols), (r0, r1) =>
        {
            Span<float> scratch = t == DType.F32 ? default : CpuConvert.Scratch(0, cols);
            for (long r = r0; r < r1; r++)
            {
                long xat = xv.ElementOffset(r * cols), yat = yv.ElementOffset(r * cols);
                ReadOnlySpan<float> row;
                Span<float> dst;
                if (t == DType.F32)
                {
                    row = new ReadOnlySpan<float>((float*)x + xat, cols);
                    dst = new Span<float>((float*)y + yat, cols);
                }
                else
                {
                    CpuConvert.ToFloat(t, x, xat, scratch);
                    row = scratch;
                    dst = scratch;
                }

                double ms;
                fixed (float* pr = row)
                {
                    ms = CpuFused.SumOfSquares(pr, cols) / (double)cols;
                }

                // The next row of this chunk is fetched while this one is scaled (F32 rows are read in place).
                float* next = t == DType.F32 && r + 1 < r1 ? (float*)x + xv.ElementOffset((r + 1) * cols) : null;
                ScaleBoth(row, g, (float)(1.0 / Math.Sqrt(ms + a.Eps)), dst, stream, next);
                if (t != DType.F32)
                {
                    CpuConvert.FromFloat(t, scratch, y, yat);
                }
            }

            if (stream)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>Rows per unit of work: about 128 KiB of each, so a worker's rows follow one another (each fetches
    /// the next while it computes) and the units are still many.</summary>
    private static long RowsPerChunk(int cols) => Math.Max(1, 32768 / cols);

    /// <summary>Outputs of at least this many bytes are written with non-temporal stores by the row ops that can.</summary>
    internal const long StreamingBytes = 8 << 20;

    /// <summary>
    /// Whether an op writes <paramref name="y"/> with non-temporal stores: an F32 output that
    /// <see cref="IsLargeOwnOutput"/> (the kernels' non-temporal paths are F32 ones).
    /// </summary>
    public static bool StreamsOutput(TensorView y, params ReadOnlySpan<TensorView> inputs) => y.DType == DType.F32 && IsLargeOwnOutput(y, inputs);

    /// <summary>
    /// Whether <paramref name="y"/> is an output worth writing with non-temporal stores, whatever its dtype: at least
    /// <see cref="StreamingBytes"/> in a buffer that none of the inputs is in (it is not read back soon, and an input
    /// read from the same lines would lose them from the cache).
    /// </summary>
    public static bool IsLargeOwnOutput(TensorView y, params ReadOnlySpan<TensorView> inputs)
    {
        if (y.ElementCount * (long)y.DType.SizeInBytes() < StreamingBytes)
        {
            return false;
        }

        foreach (TensorView x in inputs)
        {
            if (ReferenceEquals(x.Buffer, y.Buffer))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>dst = x · s · g in one pass (x and dst may be the same span unless <paramref name="nonTemporal"/>), fetching
    /// <paramref name="next"/>'s first x.Length floats into the cache meanwhile when it is not null (+22% on one core at
    /// 4096 columns, where the next row's sum of squares otherwise waits on memory; neutral at 7168).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: with one processor tiering waits ~1 s, and at tier 0 this loop ran at a third of its speed
    private static unsafe void ScaleBoth(ReadOnlySpan<float> x, ReadOnlySpan<float> g, float s, Span<float> dst, bool nonTemporal, float* next)
    {
        int i = 0, n = x.Length;
        fixed (float* px = x, pg = g, pd = dst)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> vs = Vector512.Create(s);
                // The next row, if any, is fetched a line per vector meanwhile (its sum of squares then reads the cache).
                bool fetch = next != null && System.Runtime.Intrinsics.X86.Sse.IsSupported;
                if (nonTemporal)
                {
                    for (; i + 16 <= n; i += 16)
                    {
                        if (fetch)
                        {
                            System.Runtime.Intrinsics.X86.Sse.Prefetch0(next + i);
                        }

                        Vec512.StoreNonTemporal(pd + i, Vector512.Load(px + i) * vs * Vector512.Load(pg + i));
                    }
                }

                for (; i + 16 <= n; i += 16)
                {
                    if (fetch)
                    {
                        System.Runtime.Intrinsics.X86.Sse.Prefetch0(next + i);
                    }

                    (Vector512.Load(px + i) * vs * Vector512.Load(pg + i)).Store(pd + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vs = Vector256.Create(s);
                for (; i + 8 <= n; i += 8)
                {
                    (Vector256.Load(px + i) * vs * Vector256.Load(pg + i)).Store(pd + i);
                }
            }

            for (; i < n; i++)
            {
                pd[i] = px[i] * s * pg[i];
            }
        }
    }
}
