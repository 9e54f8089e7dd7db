using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Backends.Cpu;

/// <summary>
/// Rotary position embedding: one token per task, the position's cos/sin row shared by its heads. The rows of
/// positions 0..<see cref="CachedPositions"/> are kept between calls (a model calls RoPE with the same positions and
/// frequencies in every layer), computed once by the same code that computes an uncached row, so the results are
/// the same bits either way.
/// </summary>
internal static class CpuRope
{
    /// <summary>Cached rows at most: this many floats in each of the cos and sin tables (4 MiB each).</summary>
    private const int MaxCachedFloats = 1 << 20;

    private static readonly object s_gate = new();
    private static Table? s_table;

    /// <summary>Positions whose rows are cached now, for the (theta, rotary dims) of the last call (for tests).</summary>
    internal static int CachedPositions => s_table?.Positions ?? 0;

    public static void Run(RopeArgs a, nint x, nint positions, nint y)
    {
        int half = a.RotaryDims / 2, d = a.HeadDim, heads = a.Heads;
        var invFreq = new float[half];
        for (int p = 0; p < half; p++)
        {
            invFreq[p] = OpContracts.RopeInverseFrequency(a.Theta, p, a.RotaryDims);
        }

        Table? table = half == 0 ? null : TableFor(a, positions, invFreq);
        DType t = a.X.DType;
        bool interleaved = a.Layout == RopeLayout.Interleaved;
        TensorView xv = a.X, yv = a.Y;

        // A large F32 output of its own goes out with non-temporal stores (no read for ownership of its lines).
        bool stream = !interleaved && CpuRowOps.StreamsOutput(yv, xv);
        CpuParallel.For(a.Tokens, Math.Max(1, 8192 / Math.Max(1, heads * d)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            Span<float> cos = CpuConvert.Scratch(1, Math.Max(half, 1));
            Span<float> sin = CpuConvert.Scratch(2, Math.Max(half, 1));
            Span<float> row = CpuConvert.Scratch(0, d);
            for (long tok = t0; tok < t1; tok++)
            {
                int pos;
                unsafe
                {
                    pos = ((int*)positions)[tok];
                }

                // The cached rows are read in place (a published table never changes); other positions are computed.
                ReadOnlySpan<float> cosRow = cos, sinRow = sin;
                if (table is not null && (uint)pos < (uint)table.Positions)
                {
                    cosRow = table.Cos.AsSpan(pos * half, half);
                    sinRow = table.Sin.AsSpan(pos * half, half);
                }
                else
                {
                    unsafe
                    {
                        fixed (float* pf = invFreq, pc = cos, ps = sin)
                        {
                            CpuFused.RopeTable(pos, pf, pc, ps, half);
                        }
                    }
                }

                if (t == DType.F32)
                {
                    // F32 in place on the rows: vector rotation for half-split pairs, scalar for interleaved ones.
                    unsafe
                    {
                        fixed (float* pc = cosRow, ps = sinRow)
                        {
                            if (!interleaved && a.RotaryDims == d && xv.IsContiguous && yv.IsContiguous)
                            {
                                // All of the token's heads in one call (contiguous rows, nothing passed through).
                                long r0 = tok * heads * d;
                                CpuFused.RotateHalf((float*)x + r0, (float*)y + r0, pc, ps, half, heads, d, stream);
                                continue;
                            }

                            for (int h = 0; h < heads; h++)
                            {
                                long r = ((tok * heads) + h) * d;
                                float* src = (float*)x + xv.ElementOffset(r), dst = (float*)y + yv.ElementOffset(r);
                                if (!interleaved)
                                {
                                    CpuFused.RotateHalf(src, dst, pc, ps, half, nonTemporal: stream);
                                }
                                else
                                {
                                    for (int p = 0; p < half; p++)
                                    {
                                        float x0 = src[2 * p], x1 = src[(2 * p) + 1];
                                        dst[2 * p] = (x0 * pc[p]) - (x1 * ps[p]);
                                        dst[(2 * p) + 1] = (x0 * ps[p]) + (x1 * pc[p]);
                                    }
                                }

                                if (src != dst && a.RotaryDims < d)
                                {
                                    Buffer.MemoryCopy(src + a.RotaryDims, dst + a.RotaryDims, (long)(d - a.RotaryDims) * 4, (long)(d - a.RotaryDims) * 4);
                                }
                            }
                        }
                    }

                    continue;
                }

                for (int h = 0; h < heads; h++)
                {
                    long r = ((tok * heads) + h) * d;
                    CpuConvert.ToFloat(t, x, xv.ElementOffset(r), row);
                    for (int p = 0; p < half; p++)
                    {
                        int i0 = interleaved ? 2 * p : p, i1 = interleaved ? (2 * p) + 1 : p + half;
                        float x0 = row[i0], x1 = row[i1];
                        row[i0] = (x0 * cosRow[p]) - (x1 * sinRow[p]);
                        row[i1] = (x0 * sinRow[p]) + (x1 * cosRow[p]);
                    }

                    CpuConvert.FromFloat(t, row, y, yv.ElementOffset(r));
                }
            }

            if (stream)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>
    /// The cached rows for this call's theta and rotary dims, grown (to a power of two, at most
    /// <see cref="MaxCachedFloats"/> floats) to cover its largest position below that limit; null when none of its
    /// positions can be cached. A token whose position is not in the rows returned is computed on its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe Table? TableFor(RopeArgs a, nint positions, float[] invFreq)
    {
        // The largest position that can be cached (positions beyond the limit, or negative, are computed per token).
        int half = invFreq.Length, limit = MaxCachedFloats / half, maxPos = -1;
        for (int i = 0; i < a.Tokens; i++)
        {
            int pos = ((int*)positions)[i];
            if (pos < limit)
            {
                maxPos = Math.Max(maxPos, pos);
            }
        }

        Table? table = Volatile.Read(ref s_table);
        bool matches = table is not null && table.Theta == a.Theta && table.RotaryDims == a.RotaryDims;
        if (maxPos < 0 || (matches && maxPos < table!.Positions))
        {
            return matches ? table : null;
        }

        lock (s_gate)
        {
            table = s_table;
            bool same = table is not null && table.Theta == a.Theta && table.RotaryDims == a.RotaryDims;
            if (same && maxPos < table!.Positions)
            {
                return table;
            }

            int count = (int)Math.Min(limit, Math.Max(256, (long)BitOperations.RoundUpToPowerOf2((uint)maxPos + 1)));
            if (same && count <= table!.Positions)
            {
                return table;
            }

            int from = same ? table!.Positions : 0;
            var grown = new Table(a.Theta, a.RotaryDims, count, new float[(long)count * half], new float[(long)count * half]);
            if (same)
            {
                table!.Cos.CopyTo(grown.Cos, 0);
                table.Sin.CopyTo(grown.Sin, 0);
            }

            CpuParallel.For(count - from, 64, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                fixed (float* pf = invFreq, pc = grown.Cos, ps = grown.Sin)
                {
                    for (long p = from + p0; p < from + p1; p++)
                    {
                        CpuFused.RopeTable((int)p, pf, pc + (p * half), ps + (p * half), half);
                    }
                }
            });

            Volatile.Write(ref s_table, grown);
            return grown;
        }
    }

    /// <summary>cos/sin rows of positions 0..Positions − 1, [position, pair], for one theta and rotary dims; never changed once published.</summary>
    private sealed record Table(float Theta, int RotaryDims, int Positions, float[] Cos, float[] Sin);
}
