using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <content>
/// The decode path for 3..16 rows of A with B as [N,K] (a Linear weight) on AVX-512: A is packed transposed so that
/// one 512-bit vector holds every row of A at a few consecutive k (16 rows × 1 k, 8 × 2 or 4 × 4), and each element
/// (or pair, or quad) of B is broadcast straight from its row into an FMA against that vector. B is read exactly
/// once, by scalar-broadcast loads that the FMA folds in, with no packing and no horizontal sums in the K loop;
/// twelve B rows at a time share each A vector. BF16 weights at 9..16 rows are broadcast from their rows in place
/// (a 16-bit broadcast and a mask: no widened copy); F16 weights at 13..16 rows widen each tile's rows into a buffer
/// first. (Fewer rows of either take the half-precision dot tiles.)
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>
    /// B rows per tile: 8 when a vector holds one k (9..16 rows of A: compute-bound, and 8 rows ran 8–10% faster than
    /// 12 here), 12 when it holds two or four (fewer rows of A: each A vector then serves more B rows).
    /// </summary>
    private static int BroadcastRowsFor(int kPer) => kPer == 1 ? 8 : 12;

    /// <summary>
    /// How far ahead (bytes) the broadcast decode tiles fetch each B row into L1, one line per row for every line they
    /// consume. Each B row is its own stream, 8–12 at a time, and the hardware prefetcher alone kept too few lines in
    /// flight: measured on one core of an AMD EPYC (Zen 5) with B out of cache, 16×4096×4096 went from 118 to 143
    /// GFLOP/s, 8× from 79 to 93 and 4× from 44 to 47; on two cores +20–27%. 512 and 1024 measured the same, 2048
    /// less. The 1- and 2-row dot tiles (64-byte loads of B) do not prefetch: there it cost 10% at one row.
    /// </summary>
    private const int DecodePrefetch = 1024;

    /// <summary>C = alpha·A·Bᵀ + beta·C for M = 3..16 and B [N,K] with 512-bit vectors; A already widened to F32, rows <paramref name="lda"/> apart.</summary>
    private static void DecodeBroadcast(GemmProblem p, float* pa, int lda)
    {
        int m = p.M;
        bool bf16 = p.InType == DType.BF16;
        if (m <= 4)
        {
            DecodeBroadcast<Quad>(p, pa, lda);
        }
        else if (m <= 8)
        {
            DecodeBroadcast<Pair>(p, pa, lda);
        }
        else if (bf16)
        {
            DecodeBroadcast<Bf16Single>(p, pa, lda);
        }
        else
        {
            DecodeBroadcast<Single1>(p, pa, lda);
        }
    }

    private static void DecodeBroadcast<TB>(GemmProblem p, float* pa, int lda)
        where TB : struct, IBroadcastK
    {
        int m = p.M, n = p.N, k = p.K, kPer = TB.KPerVector, rowsPer = 16 / kPer, tileRows = BroadcastRowsFor(kPer);
        int kv = k - (k % (kPer == 4 ? 16 : kPer)); // the 4-k tile takes 16 k per load of B; the rest is the scalar tail

        // aT[s][i·kPer + j] = A[i, s·kPer + j] for the vector part of K (rows past M zero): runs of kPer floats of a
        // row of A per vector, or a transposed panel (4×4 register transposes) when a vector holds one k.
        float* aT = RentCallBuffer(5, Math.Max(kv, 1) * (long)rowsPer, out bool owned);
        try
        {
            int steps = kv / kPer;
            if (kPer == 1)
            {
                TransposeToPanel(pa, lda, m, steps, aT, 16);
            }
            else
            {
                for (int i = 0; i < rowsPer; i++)
                {
                    float* src = pa + ((long)i * lda);
                    for (int s = 0; s < steps; s++)
                    {
                        float* dst = aT + (s * 16L) + (i * kPer);
                        for (int j = 0; j < kPer; j++)
                        {
                            dst[j] = i < m ? src[(s * kPer) + j] : 0;
                        }
                    }
                }
            }

            int tiles = (n + tileRows - 1) / tileRows;
            CpuParallel.For(tiles, Math.Max(1, 65536 / Math.Max(k, 1)), (t0, t1) =>
            {
                int j0 = (int)(t0 * tileRows), j1 = (int)Math.Min(n, t1 * tileRows), width = j1 - j0;
                int ldr = RoundUp(Math.Max(k, 1), 16) + 16;
                // B is read in place when the broadcast reads its dtype (F32, or BF16 with the BF16 broadcasts), else
                // the tile's rows are widened to F32 first.
                bool inPlace = TB.ElementBytes == p.InType.SizeInBytes();
                float* rowsF32 = inPlace ? null : CpuConvert.ScratchPointer(0, tileRows * ldr);
                float* outs = CpuConvert.ScratchPointer(1, m * width);
                float* vacc = stackalloc float[tileRows * 16];
                for (int j = j0; j < j1; j += tileRows)
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

                    if (cnt < tileRows)
                    {
                        BroadcastTileShort<TB>(kv / kPer, aT, b, ld, cnt, vacc);
                    }
                    else if (kPer == 4)
                    {
                        QuadTile12(kv / kPer, aT, (float*)b, ld / sizeof(float), vacc);
                    }
                    else if (tileRows == 12)
                    {
                        BroadcastTile12<TB>(kv / kPer, aT, b, ld, vacc);
                    }
                    else
                    {
                        BroadcastTile8<TB>(kv / kPer, aT, b, ld, vacc);
                    }

                    // Lane i·kPer + j of row r's accumulator holds A[i, ·]·B[r, ·] over the k ≡ j (mod kPer): sum the
                    // kPer lanes, then the K tail.
                    for (int r = 0; r < cnt; r++)
                    {
                        byte* brow = b + (r * ld);
                        for (int i = 0; i < m; i++)
                        {
                            float v = 0;
                            for (int q = 0; q < kPer; q++)
                            {
                                v += vacc[(r * 16) + (i * kPer) + q];
                            }

                            for (int q = kv; q < k; q++)
                            {
                                float bq = TB.ElementBytes == sizeof(float) ? ((float*)brow)[q] : BitConverter.UInt32BitsToSingle((uint)((ushort*)brow)[q] << 16);
                                v += pa[((long)i * lda) + q] * bq;
                            }

                            outs[(i * width) + (j - j0) + r] = v;
                        }
                    }
                }

                for (int i = 0; i < m; i++)
                {
                    WriteRow(p, i, j0, new Span<float>(outs + (i * width), width));
                }
            });
        }
        finally
        {
            if (owned)
            {
                NativeMemory.AlignedFree(aT);
            }
        }
    }

    /// <summary>How a run of B's row is broadcast against a vector of packed Aᵀ: 1, 2 or 4 consecutive k per 512-bit vector.</summary>
    private interface IBroadcastK
    {
        /// <summary>Consecutive k in one vector of Aᵀ (16 / rows of A it holds).</summary>
        static abstract int KPerVector { get; }

        /// <summary>Bytes of one element of B as stored (4 for F32, 2 for BF16 read in place).</summary>
        static abstract int ElementBytes { get; }

        /// <summary>B[r, q..q+KPerVector) repeated across the vector, as F32.</summary>
        static abstract Vector512<float> Load(byte* p);
    }

    private readonly struct Single1 : IBroadcastK
    {
        public static int ElementBytes => sizeof(float);

        public static int KPerVector => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => Vector512.Create(*(float*)p);
    }

    private readonly struct Pair : IBroadcastK
    {
        public static int ElementBytes => sizeof(float);

        public static int KPerVector => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => Vector512.Create(Unsafe.ReadUnaligned<double>(p)).AsSingle();
    }

    private readonly struct Quad : IBroadcastK
    {
        public static int ElementBytes => sizeof(float);

        public static int KPerVector => 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => Vector512.Create(Vector128.Load((float*)p));
    }

    /// <summary>One BF16 element of B, read in place, across the vector: a 16-bit broadcast, the bits moved to the upper half.</summary>
    private readonly struct Bf16Single : IBroadcastK
    {
        public static int KPerVector => 1;

        public static int ElementBytes => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* p) => (Vector512.Create(*(ushort*)p).AsUInt32() & Vector512.Create(0xFFFF0000u)).AsSingle();
    }

    /// <summary>
    /// acc[r][0..16) = Σ_s aT[s]·broadcast(B[r, s·kPer ..]) over s &lt; steps for the 12 B rows b + r·ldb. The rows are
    /// addressed from base pointers three rows apart and one stride register, so the broadcasts fold into the FMAs
    /// as memory operands.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastTile12<TB>(int steps, float* aT, byte* b0, nint ld, float* acc)
        where TB : struct, IBroadcastK
    {
        byte* p0 = b0, p3 = b0 + (3 * ld), p6 = b0 + (6 * ld), p9 = b0 + (9 * ld);
        nint step = TB.KPerVector * TB.ElementBytes, pf = DecodePrefetch;
        int lineMask = (64 / (TB.KPerVector * TB.ElementBytes)) - 1;
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero, c4 = Vector512<float>.Zero, c5 = Vector512<float>.Zero;
        Vector512<float> c6 = Vector512<float>.Zero, c7 = Vector512<float>.Zero, c8 = Vector512<float>.Zero, c9 = Vector512<float>.Zero, c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero;
        for (int s = 0; s < steps; s++)
        {
            if ((s & lineMask) == 0)
            {
                Prefetch12(p0 + pf, ld);
            }

            Vector512<float> a = Vector512.Load(aT);
            c0 = Vector512.FusedMultiplyAdd(TB.Load(p0), a, c0);
            c1 = Vector512.FusedMultiplyAdd(TB.Load(p0 + ld), a, c1);
            c2 = Vector512.FusedMultiplyAdd(TB.Load(p0 + (ld << 1)), a, c2);
            c3 = Vector512.FusedMultiplyAdd(TB.Load(p3), a, c3);
            c4 = Vector512.FusedMultiplyAdd(TB.Load(p3 + ld), a, c4);
            c5 = Vector512.FusedMultiplyAdd(TB.Load(p3 + (ld << 1)), a, c5);
            c6 = Vector512.FusedMultiplyAdd(TB.Load(p6), a, c6);
            c7 = Vector512.FusedMultiplyAdd(TB.Load(p6 + ld), a, c7);
            c8 = Vector512.FusedMultiplyAdd(TB.Load(p6 + (ld << 1)), a, c8);
            c9 = Vector512.FusedMultiplyAdd(TB.Load(p9), a, c9);
            c10 = Vector512.FusedMultiplyAdd(TB.Load(p9 + ld), a, c10);
            c11 = Vector512.FusedMultiplyAdd(TB.Load(p9 + (ld << 1)), a, c11);
            aT += 16;
            p0 += step;
            p3 += step;
            p6 += step;
            p9 += step;
        }

        c0.Store(acc);
        c1.Store(acc + 16);
        c2.Store(acc + 32);
        c3.Store(acc + 48);
        c4.Store(acc + 64);
        c5.Store(acc + 80);
        c6.Store(acc + 96);
        c7.Store(acc + 112);
        c8.Store(acc + 128);
        c9.Store(acc + 144);
        c10.Store(acc + 160);
        c11.Store(acc + 176);
    }

    /// <summary>
    /// acc[r][0..16) = Σ_s aT[s]·broadcast(B[r, s·kPer ..]) over s &lt; steps for the 8 B rows b + r·ldb. The rows are
    /// addressed from base pointers three rows apart and one stride register, so the broadcasts fold into the FMAs
    /// as memory operands.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastTile8<TB>(int steps, float* aT, byte* b0, nint ld, float* acc)
        where TB : struct, IBroadcastK
    {
        byte* p0 = b0, p3 = b0 + (3 * ld), p6 = b0 + (6 * ld);
        nint step = TB.KPerVector * TB.ElementBytes, pf = DecodePrefetch;
        int lineMask = (64 / (TB.KPerVector * TB.ElementBytes)) - 1;
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero, c4 = Vector512<float>.Zero, c5 = Vector512<float>.Zero;
        Vector512<float> c6 = Vector512<float>.Zero, c7 = Vector512<float>.Zero;
        for (int s = 0; s < steps; s++)
        {
            if ((s & lineMask) == 0)
            {
                PrefetchRows(p0 + pf, ld, 8);
            }

            Vector512<float> a = Vector512.Load(aT);
            c0 = Vector512.FusedMultiplyAdd(TB.Load(p0), a, c0);
            c1 = Vector512.FusedMultiplyAdd(TB.Load(p0 + ld), a, c1);
            c2 = Vector512.FusedMultiplyAdd(TB.Load(p0 + (ld << 1)), a, c2);
            c3 = Vector512.FusedMultiplyAdd(TB.Load(p3), a, c3);
            c4 = Vector512.FusedMultiplyAdd(TB.Load(p3 + ld), a, c4);
            c5 = Vector512.FusedMultiplyAdd(TB.Load(p3 + (ld << 1)), a, c5);
            c6 = Vector512.FusedMultiplyAdd(TB.Load(p6), a, c6);
            c7 = Vector512.FusedMultiplyAdd(TB.Load(p6 + ld), a, c7);
            aT += 16;
            p0 += step;
            p3 += step;
            p6 += step;
        }

        c0.Store(acc);
        c1.Store(acc + 16);
        c2.Store(acc + 32);
        c3.Store(acc + 48);
        c4.Store(acc + 64);
        c5.Store(acc + 80);
        c6.Store(acc + 96);
        c7.Store(acc + 112);
    }

    /// <summary>
    /// The four-k-per-vector tile (3..4 rows of A) over 12 B rows, reading B with full 64-byte loads: each load holds
    /// four quads of a row, spread to all lanes by in-register 128-bit shuffles. One-float broadcast loads walk a row
    /// 4 bytes at a time, and twelve such slow streams drew only about half the memory bandwidth of 64-byte loads in a
    /// test here (17 against 34 GB/s on one core); this tile ran 40% faster than the broadcast-load one at 3..4 rows.
    /// (The same for two k per vector needs two shuffles per pair and ran 5–15% slower than broadcast loads at 5..8
    /// rows, so those keep them.) <paramref name="steps"/> is a multiple of 4 (the caller leaves the rest of K to its scalar tail).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuadTile12(int steps, float* aT, float* b, long ldb, float* acc)
    {
        nint ld = (nint)(ldb * sizeof(float));
        byte* p0 = (byte*)b, p3 = p0 + (3 * ld), p6 = p0 + (6 * ld), p9 = p0 + (9 * ld);
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero, c4 = Vector512<float>.Zero, c5 = Vector512<float>.Zero;
        Vector512<float> c6 = Vector512<float>.Zero, c7 = Vector512<float>.Zero, c8 = Vector512<float>.Zero, c9 = Vector512<float>.Zero, c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero;
        nint pf = DecodePrefetch;
        for (int s = 0; s < steps; s += 4)
        {
            Prefetch12(p0 + pf, ld);
            Vector512<float> a0 = Vector512.Load(aT), a1 = Vector512.Load(aT + 16), a2 = Vector512.Load(aT + 32), a3 = Vector512.Load(aT + 48);
            c0 = QuadFma((float*)p0, a0, a1, a2, a3, c0);
            c1 = QuadFma((float*)(p0 + ld), a0, a1, a2, a3, c1);
            c2 = QuadFma((float*)(p0 + (ld << 1)), a0, a1, a2, a3, c2);
            c3 = QuadFma((float*)p3, a0, a1, a2, a3, c3);
            c4 = QuadFma((float*)(p3 + ld), a0, a1, a2, a3, c4);
            c5 = QuadFma((float*)(p3 + (ld << 1)), a0, a1, a2, a3, c5);
            c6 = QuadFma((float*)p6, a0, a1, a2, a3, c6);
            c7 = QuadFma((float*)(p6 + ld), a0, a1, a2, a3, c7);
            c8 = QuadFma((float*)(p6 + (ld << 1)), a0, a1, a2, a3, c8);
            c9 = QuadFma((float*)p9, a0, a1, a2, a3, c9);
            c10 = QuadFma((float*)(p9 + ld), a0, a1, a2, a3, c10);
            c11 = QuadFma((float*)(p9 + (ld << 1)), a0, a1, a2, a3, c11);
            aT += 64;
            p0 += 64;
            p3 += 64;
            p6 += 64;
            p9 += 64;
        }

        c0.Store(acc);
        c1.Store(acc + 16);
        c2.Store(acc + 32);
        c3.Store(acc + 48);
        c4.Store(acc + 64);
        c5.Store(acc + 80);
        c6.Store(acc + 96);
        c7.Store(acc + 112);
        c8.Store(acc + 128);
        c9.Store(acc + 144);
        c10.Store(acc + 160);
        c11.Store(acc + 176);
    }

    /// <summary>
    /// Fetches into L1 the line at <paramref name="p"/> in each of <paramref name="rows"/> rows <paramref name="ld"/>
    /// bytes apart. A prefetch never faults, so lines past the end of a row or of B are harmless.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(byte* p, nint ld, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            Sse.Prefetch0(p);
            p += ld;
        }
    }

    /// <summary>
    /// Fetches into L1 the line at <paramref name="p"/> in each of 12 rows <paramref name="ld"/> bytes apart, written
    /// out: the 4-k tile fetches every iteration, and <see cref="PrefetchRows"/>' loop cost it 6–9% at 4×4096×4096.
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

    /// <summary>c + Σ_q b[q]·a_q: one 64-byte load of a B row (16 k), each of its four 128-bit quarters spread over the
    /// vector by a shuffle against the A vector of those four k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> QuadFma(float* b, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> c)
    {
        Vector512<float> v = Vector512.Load(b);
        c = Vector512.FusedMultiplyAdd(Avx512F.Shuffle4x128(v, v, 0x00), a0, c);
        c = Vector512.FusedMultiplyAdd(Avx512F.Shuffle4x128(v, v, 0x55), a1, c);
        c = Vector512.FusedMultiplyAdd(Avx512F.Shuffle4x128(v, v, 0xAA), a2, c);
        return Vector512.FusedMultiplyAdd(Avx512F.Shuffle4x128(v, v, 0xFF), a3, c);
    }
    /// <summary>The same over fewer B rows than a tile (the last tile of a row count that is not a multiple of it), one row at a time.</summary>
    private static void BroadcastTileShort<TB>(int steps, float* aT, byte* b0, nint ld, int cnt, float* acc)
        where TB : struct, IBroadcastK
    {
        nint step = TB.KPerVector * TB.ElementBytes;
        for (int r = 0; r < cnt; r++)
        {
            byte* pr = b0 + (r * ld);
            float* a = aT;
            Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero;
            int s = 0;
            for (; s + 2 <= steps; s += 2)
            {
                c0 = Vector512.FusedMultiplyAdd(TB.Load(pr), Vector512.Load(a), c0);
                c1 = Vector512.FusedMultiplyAdd(TB.Load(pr + step), Vector512.Load(a + 16), c1);
                pr += 2 * step;
                a += 32;
            }

            if (s < steps)
            {
                c0 = Vector512.FusedMultiplyAdd(TB.Load(pr), Vector512.Load(a), c0);
            }

            (c0 + c1).Store(acc + (r * 16));
        }
    }
}
