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

    /// <summary>y = x / sqrt(mean(x²) + eps) · gamma per row.</summary>
    public static void RmsNorm(RmsNormArgs a, nint x, nint gamma, nint y) => RmsNorm(a, x, gamma, y, RmsGroupCap);

    /// <summary>
    /// <see cref="RmsNorm(RmsNormArgs, nint, nint, nint)"/> with F32 rows grouped by at most <paramref name="maxGroup"/>
    /// (1..<see cref="MaxRmsGroup"/>; the entry point for tests of the grouping this CPU's vendor does not take).
    /// </summary>
    internal static unsafe void RmsNorm(RmsNormArgs a, nint x, nint gamma, nint y, int maxGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxGroup, MaxRmsGroup);
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

        // A large F32 output of its own goes out with non-temporal stores (not read again soon, no read for ownership).
        bool stream = StreamsOutput(yv, xv);
        long rowBytes = (long)cols * sizeof(float);
        bool inL1 = 2 * rowBytes <= CpuCaches.L1;
        int group = RmsGroupRows(rowBytes, maxGroup);
        bool fetchAhead = t == DType.F32 && rowBytes <= CpuCaches.L2 / 4;
        CpuParallel.For(a.Rows, RowsPerChunk(cols), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            Span<float> scratch = t == DType.F32 ? default : CpuConvert.Scratch(0, cols);
            float** xs = stackalloc float*[MaxRmsGroup];
            float** ys = stackalloc float*[MaxRmsGroup];
            float** next = stackalloc float*[MaxRmsGroup];
            float* scales = stackalloc float[MaxRmsGroup];
            float* pg = (float*)gF32;
            fixed (float* ps = scratch)
            {
                // F32 rows are read in place, a group at a time (see RmsGroupRows): the sums of squares of the group
                // (its rows fetched while the group before was scaled), then the group scaled block by block of
                // columns (CpuFused.ScaleRows). Narrower dtypes go a row at a time through the scratch row.
                int per = t == DType.F32 ? group : 1;
                for (long q = r0; q < r1; q += per)
                {
                    int rows = (int)Math.Min(per, r1 - q);
                    for (int i = 0; i < rows; i++)
                    {
                        long r = q + i;
                        if (t == DType.F32)
                        {
                            xs[i] = (float*)x + xv.ElementOffset(r * cols);
                            ys[i] = (float*)y + yv.ElementOffset(r * cols);
                        }
                        else
                        {
                            CpuConvert.ToFloat(t, x, xv.ElementOffset(r * cols), scratch);
                            xs[i] = ps;
                            ys[i] = ps;
                        }

                        double ms = CpuFused.SumOfSquares(xs[i], cols) / (double)cols;
                        scales[i] = (float)(1.0 / Math.Sqrt(ms + a.Eps));
                    }

                    int ahead = fetchAhead ? (int)Math.Min(per, r1 - q - rows) : 0;
                    for (int i = 0; i < ahead; i++)
                    {
                        next[i] = (float*)x + xv.ElementOffset((q + rows + i) * cols);
                    }

                    CpuFused.ScaleRows(xs, ys, scales, rows, pg, cols, stream, next, ahead, inL1, stream && CpuFused.SweepDown(ys[0], xs[0], pg));
                    if (t != DType.F32)
                    {
                        CpuConvert.FromFloat(t, scratch, y, yv.ElementOffset(q * cols));
                    }
                }
            }

            if (stream)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>Most rows rmsnorm scales together (see <see cref="RmsGroupRows"/>).</summary>
    private const int MaxRmsGroup = 8;

    /// <summary>
    /// Rows of F32 rmsnorm summed and then scaled together (and fetched ahead as the next group) for rows of
    /// <paramref name="rowBytes"/>: one when a row and gamma fit L1 together (the next row is then fetched into L1);
    /// otherwise as many as keep a group and the next one within half of L2, at most <paramref name="maxGroup"/> (8 rows
    /// of 7168 floats with a 1 MiB L2), so each block of gamma serves every row of the group from L1. Measured on one
    /// core of an AMD EPYC (Zen 5) at 1024×7168, same-run copy as the reference, variants alternating in one process:
    /// groups of 1 / 4 / 8 rows 70 / 75 / 77% of the copy (twice); against the former row-at-a-time loop 69 → 74, 70 →
    /// 75, 67 → 72 and once 72 → 71. A stripped loop showed the cause: with gamma refetched from L2 for every row it ran
    /// at 62–67% of the copy, with gamma held in L1 at 92–93%. Intel cores take groups of one (see <see cref="RmsGroupCap"/>).
    /// </summary>
    private static int RmsGroupRows(long rowBytes, int maxGroup) =>
        2 * rowBytes <= CpuCaches.L1 ? 1 : (int)Math.Clamp(CpuCaches.L2 / 4 / Math.Max(1, rowBytes), 1, maxGroup);

    /// <summary>
    /// The most rows rmsnorm groups on this CPU: <see cref="MaxRmsGroup"/>, but one on Intel cores, where rows one at a
    /// time (the next row fetched into L2 while this one is scaled) measured ahead. On an Ice Lake Xeon (2 cores),
    /// variants alternating in one process, % of a same-run copy, groups of 8 → 1: 1024×7168 one core 81.6 → 86.9, two
    /// cores 80.2 → 85.1; 4096×7168 82.8 → 88.1; 512×16384 (groups of 4 → 1) 77.8 → 79.0 and 80.2 → 85.3. The AMD
    /// EPYC (Zen 5) measured groups of eight about 10% ahead (see <see cref="RmsGroupRows"/>).
    /// </summary>
    private static int RmsGroupCap => CpuCaches.IsIntel ? 1 : MaxRmsGroup;

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
