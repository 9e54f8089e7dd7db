using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <content>The decode path: M ≤ 16 rows, where GEMM is GEMV-like and bound by reading B once.</content>
internal static unsafe partial class CpuGemm
{
    private static void Skinny(GemmProblem p)
    {
        int m = p.M, n = p.N, k = p.K;
        if (TakesBroadcastTiles(p))
        {
            // Every worker packs its own Aᵀ (see WorkerPack), straight from an F32 A [M,K], else from its own widened
            // copy of A, so nothing is widened or packed before the workers start.
            bool inPlace = p.InType == DType.F32 && !p.TransA;
            DecodeBroadcast(p, inPlace ? (float*)p.A : null, inPlace ? p.LdA : 0);
            return;
        }

        // A widened to F32 once (WidenedLd: rows on 64 bytes, a cache line more than a multiple of 64 bytes apart).
        int lda = WidenedLd(k);
        float* a = RentCallBuffer(4, (long)m * lda, out bool owned);
        try
        {
            WidenRowsOfA(p, 0, m, a, lda);
            SkinnyWith(p, a, lda);
        }
        finally
        {
            if (owned)
            {
                NativeMemory.AlignedFree(a);
            }
        }
    }

    /// <summary>Rows r0..r0+rows of A (any dtype, either layout) widened to F32 at dst, rows <paramref name="ld"/> floats apart.</summary>
    private static void WidenRowsOfA(GemmProblem p, int r0, int rows, float* dst, long ld)
    {
        for (int i = 0; i < rows; i++)
        {
            float* row = dst + (i * ld);
            if (!p.TransA)
            {
                CpuConvert.ToFloat(p.InType, p.A, (long)(r0 + i) * p.LdA, new Span<float>(row, p.K));
                continue;
            }

            for (int q = 0; q < p.K; q++)
            {
                row[q] = p.LoadA(r0 + i, q);
            }
        }
    }

    /// <summary>
    /// Floats between the rows of A widened to F32 for the decode paths: each row starts on 64 bytes (no 512-bit load
    /// of A straddles two cache lines), and rows are one cache line more than a multiple of 64 bytes apart (so the rows
    /// of A do not all fall in the same L1 sets as each other and as B's rows, whose stride is usually a multiple of 4 KiB).
    /// </summary>
    private static int WidenedLd(int k) => RoundUp(k, 16) + 16;

    /// <summary>
    /// Whether a decode GEMM (M ≤ 16) takes the broadcast tiles (<see cref="DecodeBroadcast"/>): B [N,K] with 512-bit
    /// vectors, from 3 rows of F32, 5 of BF16 and 9 of F16 (fewer half-precision rows take the dot tiles of
    /// <see cref="DecodeHalf"/>, which widen B in registers; see SkinnyWith for why there). F32 at 3..4 rows goes on from
    /// there to the runs of <see cref="DecodeRuns4"/>.
    /// </summary>
    private static bool TakesBroadcastTiles(in GemmProblem p) =>
        p.TransB && Vector512.IsHardwareAccelerated && p.M >= (p.InType == DType.F32 ? 3 : p.InType == DType.BF16 ? 5 : 9);

    /// <summary>
    /// A per-call buffer of the calling thread: its pinned scratch slot while that stays at most 4 Mi floats (16 MiB;
    /// no allocation, page faults or unmapping per call), else a fresh aligned allocation the caller frees (<paramref name="owned"/>).
    /// </summary>
    private static float* RentCallBuffer(int slot, long floats, out bool owned)
    {
        owned = floats > (1 << 22);
        return owned ? (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64) : CpuConvert.ScratchPointer(slot, (int)Math.Max(floats, 1));
    }

    private static void SkinnyWith(GemmProblem p, float* pa, int lda)
    {
        int m = p.M, n = p.N, k = p.K;

        // The broadcast tiles' cases never reach here (Skinny takes them first: TakesBroadcastTiles), so on AVX-512 the
        // half-precision weights here are BF16 at 1..4 rows and F16 at 1..8.
        System.Diagnostics.Debug.Assert(!TakesBroadcastTiles(p), "Skinny runs the broadcast tiles' cases itself");
        if (p.TransB && Vector256.IsHardwareAccelerated && (p.InType == DType.BF16 || (p.InType == DType.F16 && m <= 12)))
        {
            // Half-precision weights widened in registers as they are read: half the bytes of F32, no buffer. BF16 at
            // 5..16 rows on AVX-512 takes DecodeBroadcast's in-place BF16 quad broadcasts instead (its pair broadcasts
            // before them were 4% faster at 12 rows on one core, even on two, even at 9). At 5..8 rows, on two vectors of
            // Aᵀ, against these dot tiles, A/B in one process on the Ice Lake Xeon (an earlier stop had measured −10..+10%
            // at one core, before DecodeBroadcast's per-worker copy of A and finer chunks): one core 8×4096×4096 60.1 →
            // 67.7 and 70.9 → 80.6 GFLOP/s, 8×7168×2048 70.5 → 74.9 and 68.1 → 77.0, 8×2048×7168 68.7 → 73.3, 6×4096×4096
            // 51.0 → 56.8, 5×2048×7168 47.6 → 53.1; two cores 8×4096×4096 80.5 → 121.6, 8×7168×2048 81.4 → 111.2,
            // 5×2048×7168 66.4 → 79.3. F16 at 9..16
            // rows widens each tile once into a buffer for DecodeBroadcast's F32 quad tile: its widening costs several
            // operations, repeated for every group of 4 rows of A in the dot tiles. Against these dot tiles, A/B in one
            // process on the Xeon, one core: 9×7168×2048 30.5 → 35.1 GFLOP/s, 12×4096×4096 41.7 → 48.9, 12×2048×7168
            // 42.8 → 50.2, 16×4096×4096 42.7 → 65.8; two cores 12×4096×4096 56.5 → 59.9, 16×2048×7168 63.1 → 79.9. At 5..8
            // rows the buffer measured 9–14% slower than the dot tiles (8×4096×4096 33.7 against 39.2 GFLOP/s). Without
            // AVX-512, F16 up to 12 rows takes these tiles as before.
            DecodeHalf(p, pa, lda);
        }
        else if (p.TransB)
        {
            // B is [N,K] (a Linear weight): every output is a dot product over a contiguous row of B, and B is streamed
            // once. One or two rows of A read each worker's range of B rows as four contiguous runs side by side
            // (DotsRuns4, DotsRuns4x2: four long streams kept the memory system busier than eight adjacent rows, +17–32%
            // on one core at one row, +12–17% at two). More rows take 4×6 tiles — 3..16 rows reach here only without
            // AVX-512 (with it they take DecodeBroadcast) — groups of 4 rows of A on the same six B rows, the later
            // groups reading them from cache. F16/BF16 cases the half-precision path does not take widen each tile's
            // rows first and take the tiles: 1×8, 2×8, 4×6. K is walked in blocks of DecodeKBlock.
            int tileRows = m == 1 ? 1 : m == 2 ? 2 : 4, step = m <= 2 ? 8 : 6;
            CpuParallel.For((n + step - 1) / step, Math.Max(1, 8192 / Math.Max(k, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
            {
                long j0 = t0 * step, j1 = Math.Min(n, t1 * step);
                int width = (int)(j1 - j0);
                Span<float> rows = p.InType == DType.F32 ? default : CpuConvert.Scratch(0, step * DecodeKBlock);
                Span<float> outs = CpuConvert.Scratch(1, m * width);
                outs.Clear();
                float* o = stackalloc float[24];
                fixed (float* pr = rows)
                {
                    for (int q0 = 0; q0 < k; q0 += DecodeKBlock)
                    {
                        int kb = Math.Min(DecodeKBlock, k - q0);
                        if (m <= 2 && p.InType == DType.F32)
                        {
                            // One or two rows of A: this range's B rows as contiguous runs read side by side (four,
                            // or eight for one row on Intel: OneRowRuns; DotsRuns4, DotsRuns8, DotsRuns4x2).
                            float* t = CpuConvert.ScratchPointer(0, m * width);
                            Runs(OneRowRuns, m, pa + q0, lda, kb, (float*)p.B + (j0 * p.LdB) + q0, p.LdB, width, t);
                            for (int c = 0; c < m * width; c++)
                            {
                                outs[c] += t[c];
                            }
                        }
                        else
                        {
                            for (long j = j0; j < j1; j += step)
                            {
                                int cnt = (int)Math.Min(step, j1 - j);
                                float* b;
                                long ldb;
                                if (p.InType == DType.F32)
                                {
                                    b = (float*)p.B + (j * p.LdB) + q0;
                                    ldb = p.LdB;
                                }
                                else
                                {
                                    for (int r = 0; r < cnt; r++)
                                    {
                                        CpuConvert.ToFloat(p.InType, p.B, ((j + r) * p.LdB) + q0, rows.Slice(r * kb, kb));
                                    }

                                    b = pr;
                                    ldb = kb;
                                }

                                for (int g = 0; g < m; g += tileRows)
                                {
                                    int mg = Math.Min(tileRows, m - g);
                                    Tile(tileRows, pa + ((long)g * lda) + q0, mg, lda, kb, b, ldb, cnt, o);
                                    for (int i = 0; i < mg; i++)
                                    {
                                        for (int c = 0; c < cnt; c++)
                                        {
                                            outs[((g + i) * width) + (int)(j - j0) + c] += o[(i * step) + c];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }

                for (int i = 0; i < m; i++)
                {
                    WriteRow(p, i, (int)j0, outs.Slice(i * width, width));
                }
            });
        }
        else
        {
            // B is [K,N]: accumulate a[i,q]·B[q, chunk] over q, one column chunk per task.
            const int Chunk = 512;
            CpuParallel.For((n + Chunk - 1) / Chunk, 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c0, c1) =>
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
                            TensorPrimitives.MultiplyAdd(bSeg, pa[((long)i * lda) + q], ai, ai);
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// Floats of K per block of the decode path: long, because each block ends in a horizontal sum per tile element and
    /// because B rows streamed whole keep the hardware prefetcher ahead (measured here: 16384 was ~25% faster than 2048
    /// at M = 4..16, and 512 was slower again). Rows of A (at most 16 × 64 KiB) and the tile's B rows stay in L2.
    /// </summary>
    private const int DecodeKBlock = 16384;

    /// <summary>The decode tile for <paramref name="tileRows"/> rows of A (1×8, 2×8 or 4×6) on the widest vectors the CPU has.</summary>
    private static void Tile(int tileRows, float* a, int m, int lda, int k, float* b, long ldb, int cnt, float* o)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Tile<Vec512, Vector512<float>>(tileRows, a, m, lda, k, b, ldb, cnt, o);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Tile<Vec256, Vector256<float>>(tileRows, a, m, lda, k, b, ldb, cnt, o);
        }
        else
        {
            Tile<Vec128, Vector128<float>>(tileRows, a, m, lda, k, b, ldb, cnt, o);
        }
    }

    /// <summary>
    /// The runs kernels for one or two rows of A (rows of o <paramref name="rows"/> apart) on the widest vectors the CPU
    /// has, one row of A read against <paramref name="oneRowRuns"/> (4 or 8) runs of B rows; two rows
    /// always take four. Internal so that the tests check both run counts whatever the CPU's vendor picks.
    /// </summary>
    internal static void Runs(int oneRowRuns, int m, float* a, int lda, int k, float* b, long ldb, int rows, float* o)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Runs<Vec512, Vector512<float>>(oneRowRuns, m, a, lda, k, b, ldb, rows, o);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Runs<Vec256, Vector256<float>>(oneRowRuns, m, a, lda, k, b, ldb, rows, o);
        }
        else
        {
            Runs<Vec128, Vector128<float>>(oneRowRuns, m, a, lda, k, b, ldb, rows, o);
        }
    }

    private static void Runs<TOps, TVec>(int oneRowRuns, int m, float* a, int lda, int k, float* b, long ldb, int rows, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        if (m == 1 && oneRowRuns == 8)
        {
            DotsRuns8<TOps, TVec>(a, k, b, ldb, rows, o);
        }
        else if (m == 1)
        {
            DotsRuns4<TOps, TVec>(a, k, b, ldb, rows, o);
        }
        else
        {
            DotsRuns4x2<TOps, TVec>(a, lda, k, b, ldb, rows, o, rows);
        }
    }

    private static void Tile<TOps, TVec>(int tileRows, float* a, int m, int lda, int k, float* b, long ldb, int cnt, float* o)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        switch (tileRows)
        {
            case 1:
                Dots1x8<TOps, TVec>(a, k, b, ldb, cnt, o);
                break;
            case 2:
                Dots2x8<TOps, TVec>(a, m, lda, k, b, ldb, cnt, o);
                break;
            default:
                Dots4x6<TOps, TVec>(a, m, lda, k, b, ldb, cnt, o);
                break;
        }
    }
}
