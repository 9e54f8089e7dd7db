using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <content>
/// The decode path for 3..16 rows of A with B as [N,K] (a Linear weight) on AVX-512: A is packed transposed so that a
/// 512-bit vector holds 4 rows of A at 4 consecutive k (one vector for 3..4 rows, two for 5..8, four for 9..16), and
/// each quad of B is broadcast straight from its row (a 128-bit broadcast load) into the FMAs against those vectors. B
/// is read exactly once, with no packing and no horizontal sums in the K loop; twelve B rows at a time share the A
/// vectors (six with four of them, taken from six runs of a worker's rows so B is read as six long streams). BF16
/// weights at 5..16 rows are broadcast from their rows in place, a quad at a time (a 64-bit broadcast and a byte
/// shuffle: no widened copy); F16 weights at 9..16 rows widen each tile's rows into a buffer first. (Fewer rows of
/// either take the half-precision dot tiles.)
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>
    /// How far ahead (bytes) the broadcast decode tiles fetch each B row into L1, one line per row for every line they
    /// consume; near the end of a tile the fetch moves on to the next tile's rows (the tiles' <c>next</c>). Each B row is
    /// its own stream, 12 at a time, and the hardware prefetcher alone kept too few lines in flight: measured on one
    /// core of an AMD EPYC (Zen 5) with B out of cache, 16×4096×4096 went from 118 to 143 GFLOP/s, 8× from 79 to 93
    /// and 4× from 44 to 47; on two cores +20–27%. 512 and 1024 measured the same, 2048 less. The 1×8 and 2×8 dot
    /// tiles (64-byte loads of B) do not prefetch (it cost 10% at one row); the runs of one row of A do not either,
    /// those of two rows and of F16/BF16 weights do.
    /// </summary>
    private const int DecodePrefetch = 1024;

    /// <summary>
    /// Whether the 5..8-row tile (<see cref="QuadPairTile12{TB}"/>) fetches its twelve B rows ahead (<see
    /// cref="DecodePrefetch"/>): not in the Zen 4 profile of <see cref="CpuTuning"/> (AMD family 19h), where the fetch cost that tile 10–25% while the 9..16-row
    /// tile's fetch still gained 3–5%. Measured on one Zen 4 core (EPYC, B out of cache, the whole GEMM A/B in one
    /// process, GFLOP/s with the fetch → without): 8×4096×4096 59.5 → 74.1, 8×2048×7168 60.5 → 74.6, 8×7168×2048 60.0 →
    /// 72.5; two cores 8×4096×4096 93.8 → 104.6, 8×2048×7168 95.2 → 116.1, 5×4096×4096 64.2 → 70.7, 6×7168×2048 77.3 →
    /// 85.0; the tile alone in a harness 80–85 GFLOP/s without, 65–73 with it 1 or 2 KiB ahead into L1, 74–80 into L2.
    /// With B in L2 the tile computes at 105–114 GFLOP/s there (the FMA peak: 114), so on Zen 4 it waits on memory, and
    /// the twelve extra fetches a line only add to the requests in flight. Where <see cref="DecodePrefetch"/> was
    /// measured before, the fetch gained (8× 79 → 93 GFLOP/s), so other CPUs keep it. BF16 weights on the quad pairs
    /// measured even either way, and so did the unpacked-B GEMM's row tail on this tile (B already cached there:
    /// 104×2048×7168 102.4 / 101.1, 56×1408×2048 88.7 / 88.8 GFLOP/s with / without; 8×4096×4096 in the same runs
    /// 48.1 / 56.3).
    /// </summary>
    private static readonly bool PairTileFetches = CpuTuning.Current.PairTileFetches;

    /// <summary>
    /// Chunks of tiles per worker in the broadcast decode path (<see cref="CpuParallel.For"/>'s default is 4). Each
    /// call streams all of B, and the worker that ends first waits for the other at the end: on the shared 2-core VM
    /// here, where one vCPU is often slowed for a while, smaller chunks balance the two better. Two cores, Ice Lake
    /// Xeon, A/B in one process (B out of cache): 16×4096×4096 154 → 163 GFLOP/s, 16×7168×2048 136 → 149,
    /// 12×2048×7168 102 → 109, 8×2048×7168 86 → 97 (32 per worker: the same within noise). The runs of one and two
    /// rows and the half-precision dot tiles measured the same with 16 as with 4, and keep 4.
    /// </summary>
    private const int DecodeChunksPerWorker = 16;

    /// <summary>
    /// Fetches into L1 the line <see cref="DecodePrefetch"/> bytes ahead of each of four B rows' current position (see
    /// <see cref="PrefetchAhead"/>): the runs of two rows of F32 A and of F16/BF16 weights, whose loops hold too few B
    /// loads in flight for the hardware prefetcher alone (measured here, one core, B out of cache: BF16 4×2048×7168 66 →
    /// 78 GFLOP/s, 2× 33 → 44, 1× 28 → 30; 2048 bytes ahead was worse at one row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRuns4(void* b0, void* b1, void* b2, void* b3)
    {
        PrefetchAhead(b0);
        PrefetchAhead(b1);
        PrefetchAhead(b2);
        PrefetchAhead(b3);
    }

    /// <summary>Fetches into L1 the line <see cref="DecodePrefetch"/> bytes past <paramref name="p"/> (a prefetch never faults, so lines past the end of B are harmless; no-op off x86).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(void* p)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0((byte*)p + DecodePrefetch);
        }
    }

    /// <summary>
    /// The byte offset that moves a tile's prefetch from past its own rows to the next tile's first lines, applied from
    /// step <paramref name="wrapAt"/> on (where <see cref="DecodePrefetch"/> ahead passes the end of the tile's walk of
    /// <paramref name="steps"/> steps of <paramref name="stepBytes"/>); <paramref name="next"/>: bytes from these rows
    /// to the next tile's, 0 when there is none (then no move).
    /// </summary>
    private static nint NextTileJump(nint next, int steps, nint stepBytes, out int wrapAt)
    {
        wrapAt = steps - (int)(DecodePrefetch / stepBytes);
        return next == 0 ? 0 : next - (steps * stepBytes);
    }

    /// <summary>
    /// C = alpha·A·Bᵀ + beta·C for M = 3..16 and B [N,K] with 512-bit vectors (the cases of TakesBroadcastTiles);
    /// <paramref name="pa"/>: an F32 A [M,K] itself, rows <paramref name="lda"/> floats apart, or null for each worker to
    /// widen A for itself.
    /// </summary>
    private static void DecodeBroadcast(GemmProblem p, float* pa, long lda)
    {
        int m = p.M;
        if (m <= 4)
        {
            // Only F32 takes the broadcast tiles at 3..4 rows (TakesBroadcastTiles).
            System.Diagnostics.Debug.Assert(p.InType == DType.F32, "3..4 rows of half precision take DecodeHalf");
            DecodeRuns4(p, pa, lda);
        }
        else if (m <= 8 && p.InType == DType.BF16)
        {
            DecodeBroadcast<Bf16QuadPair>(p, pa, lda);
        }
        else if (m <= 8)
        {
            DecodeBroadcast<QuadPair>(p, pa, lda);
        }
        else if (p.InType == DType.BF16)
        {
            // In place, each quad widened by a byte shuffle (see Bf16QuadWide). Against pairs of BF16 on two vectors of 8
            // rows × 2 k (a 32-bit broadcast and a shuffle per two FMAs, where this takes one per four), A/B in one
            // process, Ice Lake Xeon: one core 16×4096×4096 90.8 → 106.3 GFLOP/s, 16×2048×7168 67.6 → 83.2,
            // 16×7168×2048 63.5 → 72.9, 12×2048×7168 70.0 → 85.6, 9×4096×4096 50.3 → 60.4; two cores 16×4096×4096
            // 116.7 → 135.9, 16×2048×7168 142.4 → 155.9. (Widening the tile's rows into a buffer for the F32 quad tile
            // instead measured 13–33% slower than the pairs.)
            DecodeBroadcast<Bf16QuadWide>(p, pa, lda);
        }
        else
        {
            DecodeBroadcast<QuadWide>(p, pa, lda);
        }
    }

    private static void DecodeBroadcast<TB>(GemmProblem p, float* pa, long lda)
        where TB : struct, IBroadcastK
    {
        int m = p.M, n = p.N, k = p.K, kPer = TB.KPerVector, aw = 16 * TB.AVectors, rowsPer = aw / kPer;
        int tileRows = TB.TileRows;
        // The tiles take one 64-byte line of each B row per step (16 k of F32, 32 of BF16); the rest is the scalar tail.
        int kv = k - (k % (64 / TB.ElementBytes));

        // aT[s][i·kPer + j] = A[i, s·kPer + j] for the vector part of K (rows past M zero): per step, runs of kPer
        // floats of each row of A, aw floats in all (one, two or four vectors). (The tiles' own `width` below is C's columns.)
        // Each worker packs its own on its first chunk (WorkerPack); past MaxWorkerPack floats one is packed here and shared.
        long aFloats = Math.Max(kv, 1) * (long)rowsPer;
        bool shared = aFloats > MaxWorkerPack;
        using DecodeSharedPack sharedPack = shared ? DecodeSharedPack.Make(p, ref pa, ref lda, aFloats, kv / kPer, false, rowsPer, aw) : default;
        float* aTShared = sharedPack.Pack;
        int tiles = (n + tileRows - 1) / tileRows;
        long call = NextCall();
        CpuParallel.For(tiles, Math.Max(1, 65536 / Math.Max(k, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            // rows / ldRows: A's F32 rows this worker reads for the K tail (pa, or its own widened copy).
            float* rows = pa;
            long ldRows = lda;
            float* aT = shared ? aTShared : WorkerPack(call, p, pa, lda, rowsPer, kv / kPer, aw, aFloats, out rows, out ldRows);
            int j0 = (int)(t0 * tileRows), j1 = (int)Math.Min(n, t1 * tileRows), width = j1 - j0;
            int ldr = RoundUp(Math.Max(k, 1), 16) + 16;
            // B is read in place when the broadcast reads its dtype (F32, or BF16 with the BF16 broadcasts), else
            // the tile's rows are widened to F32 first.
            bool inPlace = TB.ElementBytes == p.InType.SizeInBytes();
            float* rowsF32 = inPlace ? null : CpuConvert.ScratchPointer(0, tileRows * ldr);
            float* outs = CpuConvert.ScratchPointer(1, m * width);
            float* vacc = stackalloc float[tileRows * aw];
            float* sums = stackalloc float[tileRows * 16];
            // 9..16 rows in place: the chunk's rows as tileRows runs side by side, tile i taking rows j0 + i + r·per (r <
            // tileRows), so each of its rows continues where the previous tile's left off and B is read as tileRows long
            // streams (the tile's fetch past its own rows is the next tile's); the rows past the last whole run go as
            // adjacent tiles below. Against adjacent tiles, A/B in one process on one Zen 4 core (GFLOP/s): 16×4096×4096
            // 94.5 → 100.5, 97.8 → 100.3, 16×2048×7168 103.4 → 105.2, 16×7168×2048 95.2 → 101.6, 12×7168×2048 72.0 →
            // 77.3, 9×4096×4096 56.6 → 58.3; two cores 16×4096×4096 146.2 → 151.1, 16×2048×7168 180.2 → 189.2,
            // 16×7168×2048 100.4 → 105.6; BF16 (its quads widened in place) 16×4096×4096 105.0 → 107.4, 12×7168×2048
            // 73.3 → 79.0. The 5..8-row tile measured 1–9% slower so (8×4096×4096 48.5 → 44.1, 8×2048×7168 74.7 →
            // 69.8, 8×7168×2048 69.7 → 68.9) and keeps adjacent rows.
            int jr = j0;
            if (inPlace && TB.AVectors == 4)
            {
                int per = width / tileRows;
                nint rowBytes = (nint)(p.LdB * TB.ElementBytes), ld = per * rowBytes;
                for (int i = 0; i < per; i++)
                {
                    byte* b = (byte*)p.B + ((j0 + i) * rowBytes);
                    QuadWideTile6<TB>(kv / kPer, aT, b, ld, vacc, 0);
                    FinishTile<TB>(vacc, aw, tileRows, sums, m, k, kv, b, ld, rows, ldRows, outs + i, width, per);
                }

                jr = j0 + (per * tileRows);
            }

            for (int j = jr; j < j1; j += tileRows)
            {
                int cnt = Math.Min(tileRows, j1 - j);
                byte* b;
                nint ld;
                if (inPlace)
                {
                    b = (byte*)p.B + ((long)j * p.LdB * TB.ElementBytes);
                    ld = (nint)(p.LdB * TB.ElementBytes);
                }
                else
                {
                    for (int r = 0; r < cnt; r++)
                    {
                        CpuConvert.ToFloat(p.InType, p.B, (long)(j + r) * p.LdB, new Span<float>(rowsF32 + ((long)r * ldr), k));
                    }

                    b = (byte*)rowsF32;
                    ld = (nint)(ldr * sizeof(float));
                }

                // Where the next tile's rows start, from this tile's: in place and not the last tile, the tiles fetch
                // the next tile's first lines while they end, instead of lines past their own rows (0: no such fetch).
                // One core, A/B: F32 16×7168×2048 144 → 158 GFLOP/s, 8× 89 → 97, 4× 46 → 49, 16×4096×4096 162 →
                // 166; BF16 16×7168×2048 147 → 169, 12× 111 → 127. Short rows (K = 2048) gain the most.
                nint next = inPlace && j + (2 * tileRows) <= j1 ? tileRows * ld : 0;
                if (cnt < tileRows)
                {
                    BroadcastTileShort<TB>(kv / kPer, aT, b, ld, cnt, vacc);
                }
                else if (TB.AVectors == 2)
                {
                    QuadPairTile12<TB>(kv / kPer, aT, b, ld, vacc, next);
                }
                else
                {
                    QuadWideTile6<TB>(kv / kPer, aT, b, ld, vacc, next);
                }

                FinishTile<TB>(vacc, aw, cnt, sums, m, k, kv, b, ld, rows, ldRows, outs + (j - j0), width, 1);
            }

            for (int i = 0; i < m; i++)
            {
                WriteRow(p, i, j0, new Span<float>(outs + (i * width), width));
            }
        }, DecodeChunksPerWorker);
    }

    /// <summary>
    /// A tile's accumulators (<paramref name="aw"/> floats per B row in <paramref name="vacc"/>) into C's columns: per B
    /// row r &lt; <paramref name="cnt"/> (at <paramref name="b"/> + r·<paramref name="ld"/>) the quads summed by
    /// <see cref="QuadSums"/>, the K tail past <paramref name="kv"/> added from B's row and A's F32 rows
    /// (<paramref name="rows"/>, <paramref name="ldRows"/> apart), then scattered to <paramref name="o"/>, B row r at
    /// column r·<paramref name="step"/>.
    /// </summary>
    /// <remarks>
    /// Lane 4i + j of row r's accumulators holds A[i, ·]·B[r, ·] over the k ≡ j (mod 4). The scalar sums before
    /// QuadSums took a tenth of a 16-row call (16×4096×4096, one core: 958 of 9526 µs), time in which no B line was
    /// fetched. A/B in one process, one core: 16×7168×2048 71.6 → 80.0 GFLOP/s, 16×4096×4096 51.2 → 54.0 (a slow
    /// phase), 8×7168×2048 49.3 → 52.0; B in cache 16×96×2048 52.3 → 60.7.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishTile<TB>(float* vacc, int aw, int cnt, float* sums, int m, int k, int kv, byte* b, nint ld, float* rows, long ldRows, float* o, int width, int step)
        where TB : struct, IBroadcastK
    {
        int aVectors = TB.AVectors;
        for (int r = 0; r < cnt; r++)
        {
            float* ar = vacc + (r * aw);
            Vector512<float> zero = Vector512<float>.Zero;
            Vector512<float> v1 = aVectors > 1 ? Vector512.Load(ar + 16) : zero;
            Vector512<float> v2 = aVectors > 2 ? Vector512.Load(ar + 32) : zero, v3 = aVectors > 2 ? Vector512.Load(ar + 48) : zero;
            QuadSums(Vector512.Load(ar), v1, v2, v3).Store(sums + (r * 16));
        }

        if (kv < k)
        {
            for (int r = 0; r < cnt; r++)
            {
                byte* brow = b + (r * ld);
                for (int i = 0; i < m; i++)
                {
                    float v = sums[(r * 16) + i];
                    for (int q = kv; q < k; q++)
                    {
                        float bq = TB.ElementBytes == sizeof(float) ? ((float*)brow)[q] : BitConverter.UInt32BitsToSingle((uint)((ushort*)brow)[q] << 16);
                        v += rows[((long)i * ldRows) + q] * bq;
                    }

                    sums[(r * 16) + i] = v;
                }
            }
        }

        ScatterTileSums(sums, cnt, m, o, width, step);
    }

    /// <summary>
    /// A tile's totals into the worker's output rows: <paramref name="sums"/> holds 16 floats per B row of the tile (row
    /// i of A at float i), <paramref name="o"/> the tile's first column of m rows <paramref name="width"/> floats apart,
    /// its B row r at column r·<paramref name="step"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterTileSums(float* sums, int cnt, int m, float* o, int width, int step)
    {
        for (int i = 0; i < m; i++)
        {
            for (int r = 0; r < cnt; r++)
            {
                o[(i * width) + (r * step)] = sums[(r * 16) + i];
            }
        }
    }

    /// <summary>
    /// The quad sums of four vectors of quad accumulators (vector g's 128-bit lane L holds row 4g + L's four partial
    /// sums): lane i of the result is row i's total. Two rounds of unpacks and adds, then one permute into row order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> QuadSums(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        // Per 128-bit lane L: p01 = [v0 l0+l2, v1 l0+l2, v0 l1+l3, v1 l1+l3], p23 the same of v2 and v3; then q = the
        // totals [v0, v1, v2, v3] of lane L, that is rows L, 4 + L, 8 + L, 12 + L at lanes 4L .. 4L + 3.
        Vector512<float> p01 = Avx512F.UnpackLow(v0, v1) + Avx512F.UnpackHigh(v0, v1);
        Vector512<float> p23 = Avx512F.UnpackLow(v2, v3) + Avx512F.UnpackHigh(v2, v3);
        Vector512<float> q = Avx512F.UnpackLow(p01.AsDouble(), p23.AsDouble()).AsSingle() + Avx512F.UnpackHigh(p01.AsDouble(), p23.AsDouble()).AsSingle();
        return Avx512F.PermuteVar16x32(q, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    }

    /// <summary>
    /// dst[s·aw + 4i + j] = src[i·ld + 4s + j] for s &lt; steps, i &lt; rowsPer, j &lt; 4, with 0 for the rows from
    /// <paramref name="rows"/> on: F32 rows of A laid out as quads of consecutive k (every tile's
    /// <see cref="IBroadcastK.KPerVector"/>), rowsPer rows per step; steps and rowsPer multiples of 4 (the tiles
    /// take whole 16-k lines of B, so they never read a quad past the last whole group of four).
    /// </summary>
    /// <remarks>
    /// Four rows at a time, four steps at a time: a 512-bit load from each row (four quads) and a 4 × 4 transpose of
    /// 128-bit lanes (eight <c>vshuff32x4</c>) give four steps' vectors of those rows. 16 rows × 4096 in a loop of its
    /// own, one core: 9–11 µs against 30–38 µs by one 128-bit move a quad (and 45 µs inside a call, where it was a
    /// serial part of every decode GEMM).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackQuadsOfK(float* src, long ld, int rows, int rowsPer, int steps, float* dst, int aw)
    {
        System.Diagnostics.Debug.Assert(steps % 4 == 0 && rowsPer % 4 == 0, "whole groups of four steps and rows");
        for (int g = 0; g < rowsPer; g += 4)
        {
            float* r0 = src + (g * ld), r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld, d = dst + (g * 4);
            bool in0 = g < rows, in1 = g + 1 < rows, in2 = g + 2 < rows, in3 = g + 3 < rows;
            for (long s = 0; s < steps; s += 4)
            {
                long q = s * 4;
                Vector512<float> a = in0 ? Vector512.Load(r0 + q) : Vector512<float>.Zero;
                Vector512<float> b = in1 ? Vector512.Load(r1 + q) : Vector512<float>.Zero;
                Vector512<float> c = in2 ? Vector512.Load(r2 + q) : Vector512<float>.Zero;
                Vector512<float> e = in3 ? Vector512.Load(r3 + q) : Vector512<float>.Zero;
                Vector512<float> ab01 = Avx512F.Shuffle4x128(a, b, 0b01_00_01_00), ab23 = Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);
                Vector512<float> ce01 = Avx512F.Shuffle4x128(c, e, 0b01_00_01_00), ce23 = Avx512F.Shuffle4x128(c, e, 0b11_10_11_10);
                float* o = d + (s * aw);
                Avx512F.Shuffle4x128(ab01, ce01, 0b10_00_10_00).Store(o);
                Avx512F.Shuffle4x128(ab01, ce01, 0b11_01_11_01).Store(o + aw);
                Avx512F.Shuffle4x128(ab23, ce23, 0b10_00_10_00).Store(o + (2 * aw));
                Avx512F.Shuffle4x128(ab23, ce23, 0b11_01_11_01).Store(o + (3 * aw));
            }
        }
    }

    /// <summary>How a run of B's row is broadcast against the vectors of packed Aᵀ: a quad (4 consecutive k) per 128-bit lane.</summary>
    private interface IBroadcastK
    {
        /// <summary>Consecutive k in one vector of Aᵀ (16 / rows of A it holds): 4 in every tile now (the pair tiles, 2, are gone).</summary>
        static abstract int KPerVector { get; }

        /// <summary>Bytes of one element of B as stored (4 for F32, 2 for BF16 read in place).</summary>
        static abstract int ElementBytes { get; }

        /// <summary>B[r, q..q+KPerVector) repeated across the vector, as F32.</summary>
        static abstract Vector512<float> Load(byte* p);

        /// <summary>
        /// Vectors of Aᵀ per step: 2 for 5..8 rows as quads (rows 0..3 and 4..7); 4 for 9..16 rows as quads (rows
        /// 0..3, 4..7, 8..11, 12..15). Each broadcast of B serves one FMA per vector. (3..4 rows take DecodeRuns4.)
        /// </summary>
        static abstract int AVectors { get; }

        /// <summary>B rows per tile: 12, or 6 with four A vectors (24 accumulators either way with two or four).</summary>
        static virtual int TileRows => 12;
    }

    /// <summary>
    /// A quad of F32 elements of B repeated across the vector: one 128-bit broadcast load (<c>vbroadcastf32x4</c>, done by
    /// the load unit). <c>Vector512.Create(Vector128.Load(p))</c> compiles to a 128-bit load and three inserts on the
    /// shuffle port instead, which made quad broadcasts measure slower than pairs before.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BroadcastQuad(byte* p) => Avx512F.BroadcastVector128ToVector512((float*)p);

    /// <summary>A quad of F32 elements of B against two vectors of Aᵀ (5..8 rows of A, 4 rows × 4 k each).</summary>
    private readonly struct QuadPair : IBroadcastK
    {
        public static int ElementBytes => sizeof(float);

        public static int KPerVector => 4;

        public static int AVectors => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => BroadcastQuad(p);
    }

    /// <summary>A quad of F32 elements of B against four vectors of Aᵀ (9..16 rows of A, 4 rows × 4 k each), 6 B rows per tile.</summary>
    private readonly struct QuadWide : IBroadcastK
    {
        public static int ElementBytes => sizeof(float);

        public static int KPerVector => 4;

        public static int AVectors => 4;

        public static int TileRows => 6;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => BroadcastQuad(p);
    }

    /// <summary>
    /// A quad of BF16 elements of B, read in place, across the vector as F32 (the four k in every 128-bit lane): a
    /// 64-bit broadcast load, then a byte shuffle that moves each 16-bit value to the upper half of its lane and zeroes
    /// the lower. Against four vectors of Aᵀ (9..16 rows of A), 6 B rows per tile.
    /// </summary>
    private readonly struct Bf16QuadWide : IBroadcastK
    {
        public static int ElementBytes => 2;

        public static int KPerVector => 4;

        public static int AVectors => 4;

        public static int TileRows => 6;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) =>
            Avx512BW.Shuffle(Vector512.Create(*(ulong*)p).AsByte(), Vector512.Create(0x01008080u, 0x03028080u, 0x05048080u, 0x07068080u, 0x01008080u, 0x03028080u, 0x05048080u, 0x07068080u, 0x01008080u, 0x03028080u, 0x05048080u, 0x07068080u, 0x01008080u, 0x03028080u, 0x05048080u, 0x07068080u).AsByte()).AsSingle();
    }

    /// <summary>A quad of BF16 elements of B read in place (as <see cref="Bf16QuadWide"/>) against two vectors of Aᵀ (5..8 rows of A), 12 B rows per tile.</summary>
    private readonly struct Bf16QuadPair : IBroadcastK
    {
        public static int ElementBytes => 2;

        public static int KPerVector => 4;

        public static int AVectors => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => Bf16QuadWide.Load(p);
    }

    /// <summary>
    /// 5..8 rows of A as two quad vectors (rows 0..3 and 4..7 × 4 k) against 12 B rows: each 128-bit broadcast of a quad
    /// of B is a plain load that serves two FMAs (the pairs' 64-bit broadcasts served one FMA each, a load per FMA).
    /// Measured A/B on one core of the Ice Lake Xeon (the kernels alone, B out of cache): 8×4096×4096 58.5 → 65.6
    /// GFLOP/s, 8×7168×2048 58.4 → 68.4; with B in L2 the pair tile computed at 70–82 GFLOP/s and this one at 120–126.
    /// <paramref name="steps"/> (quads) is a multiple of the quads in a 64-byte line (4 of F32). <paramref name="next"/>:
    /// bytes from these rows to the next tile's, whose first lines are fetched as this tile ends (0: none; the fetch then
    /// runs past the tile's own rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuadPairTile12<TB>(int steps, float* aT, byte* b0, nint ld, float* acc, nint next)
        where TB : struct, IBroadcastK
    {
        byte* p0 = b0, p3 = b0 + (3 * ld), p6 = b0 + (6 * ld), p9 = b0 + (9 * ld);
        int quad = TB.KPerVector * TB.ElementBytes, perLine = 64 / quad;
        nint pf = DecodePrefetch, jump = NextTileJump(next, steps, quad, out int wrapAt);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        Vector512<float> d6 = default, d7 = default, d8 = default, d9 = default, d10 = default, d11 = default;
        for (int s = 0; s < steps; s += perLine)
        {
            if (PairTileFetches)
            {
                Prefetch12(p0 + pf + (s >= wrapAt ? jump : 0), ld);
            }

            // The quads of one 64-byte line of each row.
            for (int q = 0; q < 64; q += quad)
            {
                Vector512<float> a = Vector512.Load(aT), e = Vector512.Load(aT + 16), x;
                x = TB.Load(p0 + q);
                c0 = Vector512.FusedMultiplyAdd(x, a, c0);
                d0 = Vector512.FusedMultiplyAdd(x, e, d0);
                x = TB.Load(p0 + ld + q);
                c1 = Vector512.FusedMultiplyAdd(x, a, c1);
                d1 = Vector512.FusedMultiplyAdd(x, e, d1);
                x = TB.Load(p0 + (ld << 1) + q);
                c2 = Vector512.FusedMultiplyAdd(x, a, c2);
                d2 = Vector512.FusedMultiplyAdd(x, e, d2);
                x = TB.Load(p3 + q);
                c3 = Vector512.FusedMultiplyAdd(x, a, c3);
                d3 = Vector512.FusedMultiplyAdd(x, e, d3);
                x = TB.Load(p3 + ld + q);
                c4 = Vector512.FusedMultiplyAdd(x, a, c4);
                d4 = Vector512.FusedMultiplyAdd(x, e, d4);
                x = TB.Load(p3 + (ld << 1) + q);
                c5 = Vector512.FusedMultiplyAdd(x, a, c5);
                d5 = Vector512.FusedMultiplyAdd(x, e, d5);
                x = TB.Load(p6 + q);
                c6 = Vector512.FusedMultiplyAdd(x, a, c6);
                d6 = Vector512.FusedMultiplyAdd(x, e, d6);
                x = TB.Load(p6 + ld + q);
                c7 = Vector512.FusedMultiplyAdd(x, a, c7);
                d7 = Vector512.FusedMultiplyAdd(x, e, d7);
                x = TB.Load(p6 + (ld << 1) + q);
                c8 = Vector512.FusedMultiplyAdd(x, a, c8);
                d8 = Vector512.FusedMultiplyAdd(x, e, d8);
                x = TB.Load(p9 + q);
                c9 = Vector512.FusedMultiplyAdd(x, a, c9);
                d9 = Vector512.FusedMultiplyAdd(x, e, d9);
                x = TB.Load(p9 + ld + q);
                c10 = Vector512.FusedMultiplyAdd(x, a, c10);
                d10 = Vector512.FusedMultiplyAdd(x, e, d10);
                x = TB.Load(p9 + (ld << 1) + q);
                c11 = Vector512.FusedMultiplyAdd(x, a, c11);
                d11 = Vector512.FusedMultiplyAdd(x, e, d11);
                aT += 32;
            }

            p0 += 64;
            p3 += 64;
            p6 += 64;
            p9 += 64;
        }

        c0.Store(acc + 0);
        d0.Store(acc + 16);
        c1.Store(acc + 32);
        d1.Store(acc + 48);
        c2.Store(acc + 64);
        d2.Store(acc + 80);
        c3.Store(acc + 96);
        d3.Store(acc + 112);
        c4.Store(acc + 128);
        d4.Store(acc + 144);
        c5.Store(acc + 160);
        d5.Store(acc + 176);
        c6.Store(acc + 192);
        d6.Store(acc + 208);
        c7.Store(acc + 224);
        d7.Store(acc + 240);
        c8.Store(acc + 256);
        d8.Store(acc + 272);
        c9.Store(acc + 288);
        d9.Store(acc + 304);
        c10.Store(acc + 320);
        d10.Store(acc + 336);
        c11.Store(acc + 352);
        d11.Store(acc + 368);
    }

    /// <summary>
    /// 9..16 rows of A as four quad vectors (rows 0..3, 4..7, 8..11, 12..15 × 4 k) against 6 B rows: each broadcast
    /// quad of B (F32: a 128-bit broadcast load; BF16: a 64-bit one and a byte shuffle) serves four FMAs, ten loads per
    /// 24 FMAs (the pair tile's two A vectors took fourteen: twelve pair broadcasts and two vectors of A). Measured on
    /// one core of the Ice Lake Xeon (the kernels alone, F32): with B in L2 134–136 → 164–174 GFLOP/s (74% → 90–95% of
    /// the FMA peak); B out of cache 16×4096×4096 102.6–107 → 111.5–116, where a read of the same six rows with no
    /// arithmetic drew only 14–15 GB/s. <paramref name="steps"/> (quads) is a multiple of the quads in a 64-byte line (4
    /// of F32, 8 of BF16); <paramref name="next"/> as for <see cref="QuadPairTile12{TB}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuadWideTile6<TB>(int steps, float* aT, byte* b0, nint ld, float* acc, nint next)
        where TB : struct, IBroadcastK
    {
        byte* p0 = b0, p3 = b0 + (3 * ld);
        int quad = TB.KPerVector * TB.ElementBytes, perLine = 64 / quad;
        nint pf = DecodePrefetch, jump = NextTileJump(next, steps, quad, out int wrapAt);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default;
        Vector512<float> f0 = default, f1 = default, f2 = default, f3 = default, f4 = default, f5 = default;
        for (int s = 0; s < steps; s += perLine)
        {
            Prefetch6(p0 + pf + (s >= wrapAt ? jump : 0), ld);

            // The quads of one 64-byte line of each row.
            for (int q = 0; q < 64; q += quad)
            {
                Vector512<float> a0 = Vector512.Load(aT), a1 = Vector512.Load(aT + 16), a2 = Vector512.Load(aT + 32), a3 = Vector512.Load(aT + 48), x;
                x = TB.Load(p0 + q);
                c0 = Vector512.FusedMultiplyAdd(x, a0, c0);
                d0 = Vector512.FusedMultiplyAdd(x, a1, d0);
                e0 = Vector512.FusedMultiplyAdd(x, a2, e0);
                f0 = Vector512.FusedMultiplyAdd(x, a3, f0);
                x = TB.Load(p0 + ld + q);
                c1 = Vector512.FusedMultiplyAdd(x, a0, c1);
                d1 = Vector512.FusedMultiplyAdd(x, a1, d1);
                e1 = Vector512.FusedMultiplyAdd(x, a2, e1);
                f1 = Vector512.FusedMultiplyAdd(x, a3, f1);
                x = TB.Load(p0 + (ld << 1) + q);
                c2 = Vector512.FusedMultiplyAdd(x, a0, c2);
                d2 = Vector512.FusedMultiplyAdd(x, a1, d2);
                e2 = Vector512.FusedMultiplyAdd(x, a2, e2);
                f2 = Vector512.FusedMultiplyAdd(x, a3, f2);
                x = TB.Load(p3 + q);
                c3 = Vector512.FusedMultiplyAdd(x, a0, c3);
                d3 = Vector512.FusedMultiplyAdd(x, a1, d3);
                e3 = Vector512.FusedMultiplyAdd(x, a2, e3);
                f3 = Vector512.FusedMultiplyAdd(x, a3, f3);
                x = TB.Load(p3 + ld + q);
                c4 = Vector512.FusedMultiplyAdd(x, a0, c4);
                d4 = Vector512.FusedMultiplyAdd(x, a1, d4);
                e4 = Vector512.FusedMultiplyAdd(x, a2, e4);
                f4 = Vector512.FusedMultiplyAdd(x, a3, f4);
                x = TB.Load(p3 + (ld << 1) + q);
                c5 = Vector512.FusedMultiplyAdd(x, a0, c5);
                d5 = Vector512.FusedMultiplyAdd(x, a1, d5);
                e5 = Vector512.FusedMultiplyAdd(x, a2, e5);
                f5 = Vector512.FusedMultiplyAdd(x, a3, f5);
                aT += 64;
            }

            p0 += 64;
            p3 += 64;
        }

        c0.Store(acc + 0);
        d0.Store(acc + 16);
        e0.Store(acc + 32);
        f0.Store(acc + 48);
        c1.Store(acc + 64);
        d1.Store(acc + 80);
        e1.Store(acc + 96);
        f1.Store(acc + 112);
        c2.Store(acc + 128);
        d2.Store(acc + 144);
        e2.Store(acc + 160);
        f2.Store(acc + 176);
        c3.Store(acc + 192);
        d3.Store(acc + 208);
        e3.Store(acc + 224);
        f3.Store(acc + 240);
        c4.Store(acc + 256);
        d4.Store(acc + 272);
        e4.Store(acc + 288);
        f4.Store(acc + 304);
        c5.Store(acc + 320);
        d5.Store(acc + 336);
        e5.Store(acc + 352);
        f5.Store(acc + 368);
    }

    /// <summary>Fetches into L1 the line at <paramref name="p"/> in each of 6 rows <paramref name="ld"/> bytes apart (see <see cref="Prefetch12"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch6(byte* p, nint ld)
    {
        byte* p3 = p + (3 * ld);
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + ld);
        Sse.Prefetch0(p + (ld << 1));
        Sse.Prefetch0(p3);
        Sse.Prefetch0(p3 + ld);
        Sse.Prefetch0(p3 + (ld << 1));
    }

    /// <summary>
    /// Fetches into L1 the line at <paramref name="p"/> in each of 12 rows <paramref name="ld"/> bytes apart (a prefetch
    /// never faults, so lines past the end of a row or of B are harmless). Written out: the 4-k tile fetches every
    /// iteration, and a loop over the rows cost it 6–9% at 4×4096×4096.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch12(byte* p, nint ld)
    {
        byte* p3 = p + (3 * ld), p6 = p + (6 * ld), p9 = p + (9 * ld);
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + ld);
        Sse.Prefetch0(p + (ld << 1));
        Sse.Prefetch0(p3);
        Sse.Prefetch0(p3 + ld);
        Sse.Prefetch0(p3 + (ld << 1));
        Sse.Prefetch0(p6);
        Sse.Prefetch0(p6 + ld);
        Sse.Prefetch0(p6 + (ld << 1));
        Sse.Prefetch0(p9);
        Sse.Prefetch0(p9 + ld);
        Sse.Prefetch0(p9 + (ld << 1));
    }

    /// <summary>The same over fewer B rows than a tile (the last tile of a row count that is not a multiple of it), one row at a time.</summary>
    private static void BroadcastTileShort<TB>(int steps, float* aT, byte* b0, nint ld, int cnt, float* acc)
        where TB : struct, IBroadcastK
    {
        nint step = TB.KPerVector * TB.ElementBytes;
        int width = 16 * TB.AVectors;
        for (int r = 0; r < cnt; r++)
        {
            for (int v = 0; v < TB.AVectors; v++)
            {
                byte* pr = b0 + (r * ld);
                float* a = aT + (v * 16);
                Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero;
                int s = 0;
                for (; s + 2 <= steps; s += 2)
                {
                    c0 = Vector512.FusedMultiplyAdd(TB.Load(pr), Vector512.Load(a), c0);
                    c1 = Vector512.FusedMultiplyAdd(TB.Load(pr + step), Vector512.Load(a + width), c1);
                    pr += 2 * step;
                    a += 2 * width;
                }

                if (s < steps)
                {
                    c0 = Vector512.FusedMultiplyAdd(TB.Load(pr), Vector512.Load(a), c0);
                }

                (c0 + c1).Store(acc + (r * width) + (v * 16));
            }
        }
    }
}
