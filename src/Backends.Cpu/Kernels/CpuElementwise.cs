using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <summary>Elementwise kernels: chunks of at most <see cref="Chunk"/> elements, widened to F32 when the dtype is narrower, spread over cores.</summary>
internal static class CpuElementwise
{
    /// <summary>Elements per chunk: small enough that three F32 chunks stay in L1/L2.</summary>
    public const int Chunk = 8192;

    /// <summary>
    /// One contiguous segment: y from a (and b); <c>nonTemporal</c>: y is stored around the caches; <c>down</c> (with it):
    /// from the last element down (see <see cref="CpuFused.SweepDown"/>).
    /// </summary>
    private delegate void Body(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, bool nonTemporal, bool down);

    /// <summary>y = x·sigmoid(x).</summary>
    public static void Silu(DType t, Operand x, Operand y, long count, bool streamOut) =>
        Map(t, x, default, count, y, count, 1, streamOut, static (xs, _, ys, nt, down) =>
        {
            unsafe
            {
                fixed (float* px = xs, py = ys)
                {
                    CpuFused.Silu(px, py, xs.Length, nt, down);
                }
            }
        });

    /// <summary>y = silu(gate)·up.</summary>
    public static void SwiGlu(DType t, Operand gate, Operand up, Operand y, long count, bool streamOut) =>
        Map(t, gate, up, count, y, count, 2, streamOut, static (g, u, ys, nt, down) =>
        {
            unsafe
            {
                fixed (float* pg = g, pu = u, py = ys)
                {
                    CpuFused.SwiGlu(pg, pu, py, g.Length, nt, down);
                }
            }
        });

    /// <summary>y = a + b[i mod bCount].</summary>
    public static void Add(DType t, Operand a, Operand b, long bCount, Operand y, long count, bool streamOut) =>
        Map(t, a, b, bCount, y, count, 2, streamOut, static (x, z, ys, nt, down) =>
        {
            unsafe
            {
                fixed (float* px = x, pz = z, py = ys)
                {
                    CpuFused.Add(px, pz, py, ys.Length, nt, down);
                }
            }
        });

    /// <summary>y = a · b[i mod bCount].</summary>
    public static void Mul(DType t, Operand a, Operand b, long bCount, Operand y, long count, bool streamOut) =>
        Map(t, a, b, bCount, y, count, 2, streamOut, static (x, z, ys, nt, down) =>
        {
            unsafe
            {
                fixed (float* px = x, pz = z, py = ys)
                {
                    CpuFused.Multiply(px, pz, py, ys.Length, nt, down);
                }
            }
        });

    /// <summary>
    /// Converts count elements from one float dtype to another (same dtype: a copy). With <paramref name="streamOut"/>
    /// (a large output sharing no element with x) an F32 source is written with non-temporal stores: the output's lines are
    /// not read for ownership, so the cast moves only the bytes it reads and writes.
    /// </summary>
    public static unsafe void Cast(DType from, Operand x, DType to, Operand y, long count, bool streamOut)
    {
        int fs = from.SizeInBytes();
        CpuParallel.For((count + Chunk - 1) / Chunk, 4, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                long end = Math.Min(count, (c * Chunk) + Chunk);
                for (long i = c * Chunk; i < end;)
                {
                    int n = (int)Math.Min(end - i, Math.Min(x.Run(i), y.Run(i)));
                    long xi = x.Index(i), yi = y.Index(i);
                    if (from == to)
                    {
                        Buffer.MemoryCopy((byte*)x.Pointer + (xi * fs), (byte*)y.Pointer + (yi * fs), (long)n * fs, (long)n * fs);
                    }
                    else if (from == DType.F32)
                    {
                        CpuConvert.FromFloat(to, new ReadOnlySpan<float>((float*)x.Pointer + xi, n), y.Pointer, yi, streamOut);
                    }
                    else
                    {
                        Span<float> tmp = CpuConvert.Scratch(0, n);
                        CpuConvert.ToFloat(from, x.Pointer, xi, tmp);
                        CpuConvert.FromFloat(to, tmp, y.Pointer, yi);
                    }

                    i += n;
                }
            }

            if (streamOut)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>
    /// Drives a body over [0, count): operand b is read at flat index i mod bCount (bCount = count for plain
    /// elementwise), and each call to the body sees one segment that is contiguous in every operand (it does not cross
    /// a strided row or wrap around b). With <paramref name="streamOut"/> (see <see cref="CpuRowOps.StreamsOutput"/>) an F32 body
    /// stores y with non-temporal stores from inside its own loop (so each core's reads and writes overlap; staging the
    /// output in a cache-resident chunk and streaming that out afterwards ran at half the speed on one core): y's lines
    /// are not read for ownership first, so the op moves only the bytes it reads and writes. Each worker fences its
    /// stores before its chunk ends.
    /// </summary>
    private static unsafe void Map(DType t, Operand a, Operand b, long bCount, Operand y, long count, int inputs, bool streamOut, Body body)
    {
        streamOut &= t == DType.F32;
        CpuParallel.For((count + Chunk - 1) / Chunk, 4, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                long start = c * Chunk, end = Math.Min(count, start + Chunk);
                for (long i = start; i < end;)
                {
                    long bi = inputs == 2 ? i % bCount : 0;
                    long run = Math.Min(end - i, Math.Min(a.Run(i), y.Run(i)));
                    if (inputs == 2)
                    {
                        run = Math.Min(run, Math.Min(bCount - bi, b.Run(bi)));
                    }

                    int n = (int)run;
                    long ai = a.Index(i), yi = y.Index(i), bj = inputs == 2 ? b.Index(bi) : 0;
                    if (t == DType.F32)
                    {
                        float* pa = (float*)a.Pointer + ai, pb = inputs == 2 ? (float*)b.Pointer + bj : null, py = (float*)y.Pointer + yi;
                        body(
                            new ReadOnlySpan<float>(pa, n),
                            inputs == 2 ? new ReadOnlySpan<float>(pb, n) : default,
                            new Span<float>(py, n),
                            streamOut,
                            streamOut && CpuFused.SweepDown(py, pa, pb));
                    }
                    else
                    {
                        Span<float> fa = CpuConvert.Scratch(0, n);
                        Span<float> fb = inputs == 2 ? CpuConvert.Scratch(1, n) : default;
                        Span<float> fy = CpuConvert.Scratch(2, n);
                        CpuConvert.ToFloat(t, a.Pointer, ai, fa);
                        if (inputs == 2)
                        {
                            CpuConvert.ToFloat(t, b.Pointer, bj, fb);
                        }

                        body(fa, fb, fy, false, false);
                        CpuConvert.FromFloat(t, fy, y.Pointer, yi);
                    }

                    i += n;
                }
            }

            if (streamOut)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>
    /// One operand of an elementwise kernel: the address of its first element and how its flat indices map to memory
    /// (contiguous, or rows of <see cref="RowLength"/> elements <see cref="RowStride"/> apart).
    /// </summary>
    internal readonly record struct Operand(nint Pointer, long RowLength, long RowStride)
    {
        /// <summary>The operand of a view whose first element is at <paramref name="pointer"/>.</summary>
        public static Operand Of(TensorView v, nint pointer) =>
            v.IsContiguous ? new Operand(pointer, long.MaxValue, 0) : new Operand(pointer, v.RowLength, v.RowStride);

        /// <summary>The element offset of flat index <paramref name="i"/>.</summary>
        public long Index(long i) => RowLength == long.MaxValue ? i : ((i / RowLength) * RowStride) + (i % RowLength);

        /// <summary>How many elements from flat index <paramref name="i"/> on are contiguous.</summary>
        public long Run(long i) => RowLength == long.MaxValue ? long.MaxValue : RowLength - (i % RowLength);
    }
}
