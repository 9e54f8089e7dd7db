using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <content>
/// F32 decode at 3..4 rows with 512-bit vectors: each worker's B rows as four or six runs walked side by side, every
/// 64-byte load of B serving the four rows of A, and the sums of a step of the runs reduced together by transposes.
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>B rows per unit of work of <see cref="DecodeRuns4"/> (a chunk takes whole units; the last may be short).</summary>
    private const int RunsUnit = 16;

    /// <summary>How far ahead (floats) <see cref="RunsQuad"/> fetches each of its four runs into L1: 1 KiB.</summary>
    private const int RunsPrefetch = 256;

    /// <summary>
    /// C = alpha·A·Bᵀ + beta·C for F32, M = 3..4 and B [N,K] with 512-bit vectors: a worker's range of B rows is split
    /// into four runs walked side by side (<see cref="RunsQuad"/>; six, <see cref="RunsSix"/>, where A does not fit L1
    /// and on Zen 4: <see cref="RunsFor"/>), so B is read as four or six long streams, each 64-byte load of it serving
    /// four FMAs (one per row of A, A packed by <see cref="PackLinesOfK"/>); <paramref name="pa"/>: an F32 A [M,K]
    /// itself, rows <paramref name="lda"/> floats apart, or null for each worker to widen A for itself.
    /// </summary>
    /// <remarks>
    /// It replaced the quad tile over 12 adjacent B rows at these rows (docs/cpu.md has the runs). Measured on one core
    /// of an AMD EPYC (Zen 5) with B out of cache, that tile against this kernel's prototype in one process, alternating
    /// (GB/s of B): 4×4096×4096 25.1 → 28.0, 4×2048×7168 25.0 → 28.8, 4×7168×2048 23.5 → 28.1. What the kernel had to
    /// avoid: a horizontal sum of each accumulator per B row (<see cref="Vector512.Sum{T}(Vector512{T})"/>, about 25
    /// dependent instructions each) cost a quarter of the reading rate, and one 16-lane store read back as single
    /// floats stalls on the store; so the 16 accumulators of a step are reduced together by
    /// <see cref="TransposeSums"/> into one vector, stored, and scattered after the worker's runs end. A packed as one
    /// 64-byte line per row and 16 k beat reading its rows in place by 4%, and walking K in blocks that keep A in L1
    /// lost a quarter (each block's rows restart their streams).
    /// </remarks>
    private static void DecodeRuns4(GemmProblem p, float* pa, long lda)
    {
        int m = p.M, n = p.N, k = p.K;
        int kv = k - (k % 16);
        long aFloats = Math.Max(kv, 1) * 4L;
        bool shared = aFloats > MaxWorkerPack;
        using DecodeSharedPack sharedPack = shared ? DecodeSharedPack.Make(p, ref pa, ref lda, aFloats, kv / 16, true, 4, 64) : default;
        float* aShared = sharedPack.Pack;
        long units = ((long)n + RunsUnit - 1) / RunsUnit;
        int runs = RunsFor(aFloats);
        long call = NextCall();
        CpuParallel.For(units, Math.Max(1, 49152 / Math.Max(k, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            float* rows = pa;
            long ldRows = lda;
            float* aP = shared ? aShared : WorkerPack(call, p, pa, lda, 4, kv / 16, 64, aFloats, out rows, out ldRows, lines: true);
            int j0 = (int)(t0 * RunsUnit), j1 = (int)Math.Min(n, t1 * RunsUnit), width = j1 - j0;
            int per = width / runs;
            float* b = (float*)p.B + ((long)j0 * p.LdB);
            float* outs = CpuConvert.ScratchPointer(1, m * width);
            float* sums = CpuConvert.ScratchPointer(3, Math.Max(per, 1) * 32);
            if (runs == 6)
            {
                RunsSix(aP, kv, b, p.LdB, per, sums);
            }
            else
            {
                RunsQuad(aP, kv, b, p.LdB, per, sums);
            }

            // Lane 4r + i of a step's vector (of its two with six runs: runs 4 and 5 in the second): row i of A against
            // the step's B row in run r.
            int stride = runs == 6 ? 32 : 16;
            for (int s = 0; s < per; s++)
            {
                float* v = sums + (s * stride);
                for (int r = 0; r < runs; r++)
                {
                    for (int i = 0; i < m; i++)
                    {
                        outs[(i * width) + (r * per) + s] = v[(4 * r) + i];
                    }
                }
            }

            for (int j = runs * per; j < width; j++)
            {
                RowQuad(aP, kv, b + ((long)j * p.LdB), m, outs + j, width);
            }

            if (kv < k)
            {
                for (int j = 0; j < width; j++)
                {
                    float* brow = b + ((long)j * p.LdB);
                    for (int i = 0; i < m; i++)
                    {
                        float* arow = rows + (i * ldRows);
                        float t = 0;
                        for (int q = kv; q < k; q++)
                        {
                            t += arow[q] * brow[q];
                        }

                        outs[(i * width) + j] += t;
                    }
                }
            }

            for (int i = 0; i < m; i++)
            {
                WriteRow(p, i, j0, new Span<float>(outs + (i * width), width));
            }
        }, DecodeChunksPerWorker);
    }

    /// <summary>
    /// Runs of B rows <see cref="DecodeRuns4"/> walks side by side for a packed A of <paramref name="aFloats"/> floats:
    /// six (<see cref="RunsSix"/>) where A takes more than half of L1 and in the Zen 4 profile of <see cref="CpuTuning"/>, else four
    /// (<see cref="RunsQuad"/>).
    /// </summary>
    /// <remarks>
    /// Where A does not stay in L1 beside the B lines streaming through it, every step reads its four lines of A from
    /// L2 again, as many lines as it reads of B with four runs; six runs share each load of A among six B rows. In a
    /// kernel harness on one core of an AMD EPYC (Zen 5), on one B, GB/s of B: the four-run kernel with A held in L1
    /// read 44 (39 at K = 2048), with A streamed from L2 (K = 4096) 27–31, a one-row kernel 38–54. Both codes in one
    /// build and one process on the same buffers, four runs → six (GB/s of B): one core 4×4096×4096 25.7 → 25.5,
    /// 27.9 → 31.1, 26.1 → 26.3; 4×2048×7168 23.1 → 17.9 (once), 27.6 → 30.9, 27.4 → 30.7, 28.2 → 31.4; 4×7168×2048 29.0 → 31.7,
    /// 28.3 → 30.0, 28.5 → 31.3; 3×4096×4096 28.6 → 31.4; 3×2048×7168 28.6 → 32.1; two cores 4×4096×4096 47.4 → 50.0,
    /// 43.2 → 44.7; 4×2048×7168 49.3 → 52.7, 38.1 → 37.4; 4×7168×2048 29.5 → 31.1, 37.5 → 38.5. With A in L1 (K =
    /// 1024) they measured even (29.5 → 30.0, 59.7 → 60.0), and six lost 8% in the harness. Not measured on Intel.
    /// (In the harness, more software fetches did not help on that core: B into L1 2 or 4 KiB ahead, into L2 or
    /// non-temporally 3–26% slower than none, A ahead about 20% slower; the four runs' own fetch 1 KiB ahead measured
    /// even with none. Walking K in blocks that keep A in L1 lost 20–25%.)
    /// On one core of an AMD EPYC Zen 4 (32 KiB L1, the whole GEMM, both codes in one process, GFLOP/s four → six):
    /// with A past half of L1 4×4096×4096 26.2 → 34.8, 4×2048×7168 34.3 → 38.4, 4×7168×2048 27.0 → 34.7, 3×4096×4096
    /// 19.4 → 24.8; with A in L1 as well: 4×4096×1024 37.9 → 41.7, 4×8192×1024 24.3 → 32.6, 4×16384×512 22.4 → 29.3,
    /// 4×2048×512 27.7 → 31.2; two cores 4×4096×4096 45.0 → 51.6, 4×2048×7168 46.0 → 51.6, 4×8192×1024 46.9 → 58.5,
    /// 4×4096×1024 41.3 → 46.3, 3×8192×1024 39.7 → 45.2, 4×2048×512 35.2 → 44.8. So Zen 4 takes six runs at every K.
    /// </remarks>
    private static int RunsFor(long aFloats) => SixRunsAlways || aFloats * sizeof(float) > CpuCaches.L1 / 2 ? 6 : 4;

    /// <summary>Whether the 3..4-row runs take six at every K (<see cref="CpuTuning.SixRunsAlways"/>: Zen 4; see <see cref="RunsFor"/>).</summary>
    private static readonly bool SixRunsAlways = CpuTuning.Current.SixRunsAlways;

    /// <summary>
    /// dst[s·64 + 16i + j] = src[i·ld + 16s + j] for s &lt; <paramref name="steps"/>, i &lt; 4, j &lt; 16, with 0 for the
    /// rows from <paramref name="rows"/> on: the four rows of A as one 64-byte line each per 16 k (<see cref="RunsQuad"/>).
    /// </summary>
    private static void PackLinesOfK(float* src, long ld, int rows, int steps, float* dst)
    {
        for (int i = 0; i < 4; i++)
        {
            float* r = src + (i * ld), d = dst + (16 * i);
            for (long s = 0; s < steps; s++)
            {
                (i < rows ? Vector512.Load(r + (16 * s)) : Vector512<float>.Zero).Store(d + (64 * s));
            }
        }
    }

    /// <summary>
    /// For s &lt; <paramref name="per"/>: the dot products over the first <paramref name="kv"/> k (a multiple of 16) of the
    /// four rows of A (packed by <see cref="PackLinesOfK"/>) with B rows s, per + s, 2·per + s and 3·per + s, into
    /// <paramref name="sums"/> + 16s, lane 4r + i for A row i and B row r·per + s.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunsQuad(float* aP, int kv, float* b, long ldb, int per, float* sums)
    {
        long off = per * ldb;
        for (int s = 0; s < per; s++)
        {
            Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero, c02 = Vector512<float>.Zero, c03 = Vector512<float>.Zero;
            Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero, c12 = Vector512<float>.Zero, c13 = Vector512<float>.Zero;
            Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero, c22 = Vector512<float>.Zero, c23 = Vector512<float>.Zero;
            Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero, c32 = Vector512<float>.Zero, c33 = Vector512<float>.Zero;
            float* pa = aP;
            for (float* pb = b + (s * ldb), end = pb + kv; pb < end; pb += 16, pa += 64)
            {
                Sse.Prefetch0(pb + RunsPrefetch);
                Sse.Prefetch0(pb + off + RunsPrefetch);
                Sse.Prefetch0(pb + (2 * off) + RunsPrefetch);
                Sse.Prefetch0(pb + (3 * off) + RunsPrefetch);
                Vector512<float> a0 = Vector512.Load(pa), a1 = Vector512.Load(pa + 16), a2 = Vector512.Load(pa + 32), a3 = Vector512.Load(pa + 48);
                Vector512<float> x = Vector512.Load(pb);
                c00 = Vector512.FusedMultiplyAdd(a0, x, c00);
                c10 = Vector512.FusedMultiplyAdd(a1, x, c10);
                c20 = Vector512.FusedMultiplyAdd(a2, x, c20);
                c30 = Vector512.FusedMultiplyAdd(a3, x, c30);
                x = Vector512.Load(pb + off);
                c01 = Vector512.FusedMultiplyAdd(a0, x, c01);
                c11 = Vector512.FusedMultiplyAdd(a1, x, c11);
                c21 = Vector512.FusedMultiplyAdd(a2, x, c21);
                c31 = Vector512.FusedMultiplyAdd(a3, x, c31);
                x = Vector512.Load(pb + (2 * off));
                c02 = Vector512.FusedMultiplyAdd(a0, x, c02);
                c12 = Vector512.FusedMultiplyAdd(a1, x, c12);
                c22 = Vector512.FusedMultiplyAdd(a2, x, c22);
                c32 = Vector512.FusedMultiplyAdd(a3, x, c32);
                x = Vector512.Load(pb + (3 * off));
                c03 = Vector512.FusedMultiplyAdd(a0, x, c03);
                c13 = Vector512.FusedMultiplyAdd(a1, x, c13);
                c23 = Vector512.FusedMultiplyAdd(a2, x, c23);
                c33 = Vector512.FusedMultiplyAdd(a3, x, c33);
            }

            TransposeSums(c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33).Store(sums + (16 * s));
        }
    }

    /// <summary>
    /// As <see cref="RunsQuad"/> with six runs (B rows s, per + s, …, 5·per + s; 24 accumulators), into
    /// <paramref name="sums"/> + 32s: lane 4r + i of the first vector for runs r = 0..3, of the second for runs 4 and 5
    /// (lanes 8..15 zero). Each load of A's four rows then serves six B rows instead of four.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunsSix(float* aP, int kv, float* b, long ldb, int per, float* sums)
    {
        long off = per * ldb;
        for (int s = 0; s < per; s++)
        {
            Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero, c02 = Vector512<float>.Zero, c03 = Vector512<float>.Zero, c04 = Vector512<float>.Zero, c05 = Vector512<float>.Zero;
            Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero, c12 = Vector512<float>.Zero, c13 = Vector512<float>.Zero, c14 = Vector512<float>.Zero, c15 = Vector512<float>.Zero;
            Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero, c22 = Vector512<float>.Zero, c23 = Vector512<float>.Zero, c24 = Vector512<float>.Zero, c25 = Vector512<float>.Zero;
            Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero, c32 = Vector512<float>.Zero, c33 = Vector512<float>.Zero, c34 = Vector512<float>.Zero, c35 = Vector512<float>.Zero;
            float* pa = aP;
            for (float* pb = b + (s * ldb), end = pb + kv; pb < end; pb += 16, pa += 64)
            {
                Vector512<float> a0 = Vector512.Load(pa), a1 = Vector512.Load(pa + 16), a2 = Vector512.Load(pa + 32), a3 = Vector512.Load(pa + 48);
                Vector512<float> x = Vector512.Load(pb);
                c00 = Vector512.FusedMultiplyAdd(a0, x, c00);
                c10 = Vector512.FusedMultiplyAdd(a1, x, c10);
                c20 = Vector512.FusedMultiplyAdd(a2, x, c20);
                c30 = Vector512.FusedMultiplyAdd(a3, x, c30);
                x = Vector512.Load(pb + off);
                c01 = Vector512.FusedMultiplyAdd(a0, x, c01);
                c11 = Vector512.FusedMultiplyAdd(a1, x, c11);
                c21 = Vector512.FusedMultiplyAdd(a2, x, c21);
                c31 = Vector512.FusedMultiplyAdd(a3, x, c31);
                x = Vector512.Load(pb + (2 * off));
                c02 = Vector512.FusedMultiplyAdd(a0, x, c02);
                c12 = Vector512.FusedMultiplyAdd(a1, x, c12);
                c22 = Vector512.FusedMultiplyAdd(a2, x, c22);
                c32 = Vector512.FusedMultiplyAdd(a3, x, c32);
                x = Vector512.Load(pb + (3 * off));
                c03 = Vector512.FusedMultiplyAdd(a0, x, c03);
                c13 = Vector512.FusedMultiplyAdd(a1, x, c13);
                c23 = Vector512.FusedMultiplyAdd(a2, x, c23);
                c33 = Vector512.FusedMultiplyAdd(a3, x, c33);
                x = Vector512.Load(pb + (4 * off));
                c04 = Vector512.FusedMultiplyAdd(a0, x, c04);
                c14 = Vector512.FusedMultiplyAdd(a1, x, c14);
                c24 = Vector512.FusedMultiplyAdd(a2, x, c24);
                c34 = Vector512.FusedMultiplyAdd(a3, x, c34);
                x = Vector512.Load(pb + (5 * off));
                c05 = Vector512.FusedMultiplyAdd(a0, x, c05);
                c15 = Vector512.FusedMultiplyAdd(a1, x, c15);
                c25 = Vector512.FusedMultiplyAdd(a2, x, c25);
                c35 = Vector512.FusedMultiplyAdd(a3, x, c35);
            }

            Vector512<float> z = Vector512<float>.Zero;
            TransposeSums(c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33).Store(sums + (32 * s));
            TransposeSums(c04, c05, z, z, c14, c15, z, z, c24, c25, z, z, c34, c35, z, z).Store(sums + (32 * s) + 16);
        }
    }

    /// <summary>Row i &lt; <paramref name="m"/> (3 or 4) of A (packed by <see cref="PackLinesOfK"/>) against one B row over the first <paramref name="kv"/> k, into o[i·<paramref name="ldo"/>].</summary>
    private static void RowQuad(float* aP, int kv, float* brow, int m, float* o, int ldo)
    {
        Vector512<float> c0 = Vector512<float>.Zero, c1 = Vector512<float>.Zero, c2 = Vector512<float>.Zero, c3 = Vector512<float>.Zero;
        for (int q = 0; q < kv; q += 16)
        {
            Vector512<float> x = Vector512.Load(brow + q);
            float* pa = aP + (4L * q);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Load(pa), x, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Load(pa + 16), x, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Load(pa + 32), x, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Load(pa + 48), x, c3);
        }

        // At most three such rows per worker's range: plain lane sums.
        o[0] = Vector512.Sum(c0);
        o[ldo] = Vector512.Sum(c1);
        o[2 * ldo] = Vector512.Sum(c2);
        if (m > 3)
        {
            o[3 * ldo] = Vector512.Sum(c3);
        }
    }

    /// <summary>
    /// The lane sums of 16 vectors as one vector: lane 4c + j holds the sum of v[4j + c]'s lanes (the index transposed as
    /// a 4 × 4), by four rounds of shuffles and adds (15 adds, 30 shuffles), each round halving the lanes of every sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TransposeSums(
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        Vector512<float> v4, Vector512<float> v5, Vector512<float> v6, Vector512<float> v7,
        Vector512<float> v8, Vector512<float> v9, Vector512<float> v10, Vector512<float> v11,
        Vector512<float> v12, Vector512<float> v13, Vector512<float> v14, Vector512<float> v15)
    {
        // Round 1, pairs (x, y): 256-bit halves added, x's 8 partial sums in the low half, y's in the high.
        Vector512<float> a0 = HalvesOfPair(v0, v1), a1 = HalvesOfPair(v2, v3), a2 = HalvesOfPair(v4, v5), a3 = HalvesOfPair(v6, v7);
        Vector512<float> a4 = HalvesOfPair(v8, v9), a5 = HalvesOfPair(v10, v11), a6 = HalvesOfPair(v12, v13), a7 = HalvesOfPair(v14, v15);

        // Round 2: 128-bit block b of the result holds 4 partial sums of v[4g + b] (g: the result's index).
        Vector512<float> b0 = BlocksOfPair(a0, a1), b1 = BlocksOfPair(a2, a3), b2 = BlocksOfPair(a4, a5), b3 = BlocksOfPair(a6, a7);

        // Rounds 3 and 4 within each 128-bit block b: pairs of lanes, then single lanes; lane c of block b ends as v[4c + b].
        Vector512<float> c0 = Avx512F.Shuffle(b0, b1, 0x44) + Avx512F.Shuffle(b0, b1, 0xEE);
        Vector512<float> c1 = Avx512F.Shuffle(b2, b3, 0x44) + Avx512F.Shuffle(b2, b3, 0xEE);
        return Avx512F.Shuffle(c0, c1, 0x88) + Avx512F.Shuffle(c0, c1, 0xDD);
    }

    /// <summary>[x.0 + x.2, x.1 + x.3, y.0 + y.2, y.1 + y.3] over 128-bit blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HalvesOfPair(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

    /// <summary>[x.0 + x.1, x.2 + x.3, y.0 + y.1, y.2 + y.3] over 128-bit blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlocksOfPair(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);
}
