using System;
using System.Runtime.CompilerServices;

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
        CpuParallel.For(a.Rows, RowsPerChunk(cols), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
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

    /// <summary>
    /// y = x / sqrt(mean(x²) + eps) · gamma per row. F32 rows of up to an eighth of L2 go four at a time, in one pass
    /// each (<see cref="NormQuads"/>); wider ones, narrower dtypes (through a scratch row) and outputs that must be
    /// written from the top down (<see cref="CpuFused.SweepDown"/>) a row at a time: its sum of squares, then its scaling.
    /// </summary>
    public static unsafe void RmsNorm(RmsNormArgs a, nint x, nint gamma, nint y)
    {
        DType t = a.X.DType;
        int cols = a.Cols;
        // F32 gamma is read in place (y may not overlap it); F16/BF16 gamma is widened once into a scratch row of this
        // thread (slot 4: the row loop below takes slot 0), not a new array per call.
        nint gF32 = gamma;
        if (t != DType.F32)
        {
            float* widened = CpuConvert.ScratchPointer(4, cols);
            CpuConvert.ToFloat(t, gamma, 0, new Span<float>(widened, cols));
            gF32 = (nint)widened;
        }

        TensorView xv = a.X, yv = a.Y;
        float* pg = (float*)gF32;

        // A large F32 output of its own goes out with non-temporal stores (not read again soon, no read for ownership).
        // Rows lie at the same distance in x and y, so whether the stores must walk down is one question for all rows.
        bool stream = StreamsOutput(yv, xv);
        bool down = stream && a.Rows > 0 && CpuFused.SweepDown((float*)y + yv.ElementOffset(0), (float*)x + xv.ElementOffset(0), pg);
        long rowBytes = (long)cols * sizeof(float);
        if (t == DType.F32 && !down && 8 * rowBytes <= CpuCaches.L2)
        {
            CpuParallel.For(a.Rows, RowsPerChunk(cols), (r0, r1) => NormQuads(a, (float*)x, pg, (float*)y, r0, r1, stream));
            return;
        }

        bool inL1 = 2 * rowBytes <= CpuCaches.L1;
        bool fetchAhead = t == DType.F32 && rowBytes <= CpuCaches.L2 / 4;
        CpuParallel.For(a.Rows, RowsPerChunk(cols), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            Span<float> scratch = t == DType.F32 ? default : CpuConvert.Scratch(0, cols);
            fixed (float* ps = scratch)
            {
                for (long r = r0; r < r1; r++)
                {
                    float* xr, yr;
                    if (t == DType.F32)
                    {
                        xr = (float*)x + xv.ElementOffset(r * cols);
                        yr = (float*)y + yv.ElementOffset(r * cols);
                    }
                    else
                    {
                        CpuConvert.ToFloat(t, x, xv.ElementOffset(r * cols), scratch);
                        xr = ps;
                        yr = ps;
                    }

                    float scale = Scale(CpuFused.SumOfSquares(xr, cols), cols, a.Eps);

                    // The next F32 row is fetched while this one is scaled, so its sum of squares reads the cache.
                    float* next = fetchAhead && r + 1 < r1 ? (float*)x + xv.ElementOffset((r + 1) * cols) : null;
                    CpuFused.ScaleRows(&xr, &yr, &scale, 1, pg, cols, stream, &next, next == null ? 0 : 1, inL1, down);
                    if (t != DType.F32)
                    {
                        CpuConvert.FromFloat(t, scratch, y, yv.ElementOffset(r * cols));
                    }
                }
            }

            if (stream)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>A row's scale, 1 / sqrt(mean(x²) + eps), from its F32 sum of squares (mean and root in float64).</summary>
    private static float Scale(float sumOfSquares, int cols, float eps) => (float)(1.0 / Math.Sqrt((sumOfSquares / (double)cols) + eps));

    /// <summary>
    /// F32 rmsnorm of rows [<paramref name="r0"/>, <paramref name="r1"/>) four at a time, in one pass each
    /// (<see cref="CpuFused.ScaleQuadAndSumNext"/>): a step scales four rows summed by the step before, so read from the
    /// cache, while it sums the next four as they stream in from memory. The range's first four rows are summed
    /// together first (<see cref="CpuFused.SumsOfSquaresQuad"/>), and its last step, with no rows after it, only scales
    /// (<see cref="CpuFused.ScaleRows"/>: one to four rows). Where fewer than four rows come next, the last of them
    /// stands in for the missing ones (their sums unused).
    /// </summary>
    private static unsafe void NormQuads(RmsNormArgs a, float* x, float* g, float* y, long r0, long r1, bool stream)
    {
        TensorView xv = a.X, yv = a.Y;
        int cols = a.Cols;
        float** xs = stackalloc float*[4];
        float** ys = stackalloc float*[4];
        float** next = stackalloc float*[4];
        float* scales = stackalloc float[4];
        float* sums = stackalloc float[4];
        for (int i = 0; i < 4; i++)
        {
            next[i] = x + xv.ElementOffset(Math.Min(r0 + i, r1 - 1) * cols);
        }

        CpuFused.SumsOfSquaresQuad(next, cols, sums);
        for (long r = r0; r < r1; r += 4)
        {
            int rows = (int)Math.Min(4, r1 - r);
            for (int i = 0; i < rows; i++)
            {
                xs[i] = x + xv.ElementOffset((r + i) * cols);
                ys[i] = y + yv.ElementOffset((r + i) * cols);
                scales[i] = Scale(sums[i], cols, a.Eps);
            }

            if (r + 4 >= r1)
            {
                CpuFused.ScaleRows(xs, ys, scales, rows, g, cols, stream, null, 0, false);
                break;
            }

            for (int i = 0; i < 4; i++)
            {
                next[i] = x + xv.ElementOffset(Math.Min(r + 4 + i, r1 - 1) * cols);
            }

            CpuFused.ScaleQuadAndSumNext(xs, ys, scales, g, cols, next, sums, stream);
        }

        if (stream)
        {
            CpuFused.FenceStreams();
        }
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
    /// <see cref="StreamingBytes"/>, sharing no element with any input (it is not read back soon; an input read from
    /// the same lines would lose them from the cache). Disjoint views of one buffer qualify (a runtime's activation
    /// arena): one core, 2048×4096 F32 silu with input and output in one buffer, 5.05 ms with stores through the cache
    /// against 3.65 ms streamed (the same as with buffers of their own).
    /// </summary>
    public static bool IsLargeOwnOutput(TensorView y, params ReadOnlySpan<TensorView> inputs)
    {
        if (y.ElementCount * (long)y.DType.SizeInBytes() < StreamingBytes)
        {
            return false;
        }

        foreach (TensorView x in inputs)
        {
            if (x.Overlaps(y))
            {
                return false;
            }
        }

        return true;
    }
}
