using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <content>
/// GEMM without packing B, for B as [N,K] (a Linear weight) and a modest number of rows of A (a MoE expert's tokens,
/// a prefill chunk): it computes Cᵀ = B·Aᵀ with Aᵀ packed in 16-row vectors and each element of B broadcast straight
/// from its row. Packing B costs about a cycle per element and is repaid only over many rows of A; here B is read
/// in place (an 8-row × KC segment stays in L1/L2 while every group of 48 rows of A passes over it, 12 rows for a
/// group of 32, 6 rows for a group of 64 on Zen 4).
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>
    /// Up to this many rows of A (from SkinnyRows + 1), GEMMs with B [N,K] skip packing B on AVX-512. With the 8 × 48
    /// kernels on the Ice Lake Xeon (A/B in one process against the packed path): one core 144..384 × 2048 × 7168
    /// +16–25%, 512 rows +3%; two cores 192..384 rows +10–17%, 256×1408×2048 +19%, 512×2048×7168 even, 512×4096×4096 +5%.
    /// (Before those kernels the limit was 160: at 256 rows the packed path had been ahead on two cores.)
    /// </summary>
    private const int BroadcastMaxRows = 384;

    /// <summary>
    /// K depth of one pass of the unpacked-B kernel for <paramref name="mPad"/> rows: the block of Aᵀ (mPad·KC floats)
    /// fills at most half of L2, within [256, 1024] (1024 at 128 rows with a 1 MiB L2; measured 5–10% ahead of 256).
    /// </summary>
    private static int BroadcastKC(int mPad) => (int)Math.Clamp(CpuCaches.L2 / 2 / (sizeof(float) * (long)mPad) / 64 * 64, 256, 1024);

    /// <summary>B rows per tile of the unpacked-B path: three 8-row parts for the 48-row kernel, four 6-row parts for the 64-row one, two 12-row parts for the pairs and the tail.</summary>
    private const int BroadcastTileRows = 24;

    /// <summary>
    /// Whether the unpacked-B path covers A's rows with 64-row groups (<see cref="BroadcastMicro4"/>: 6 broadcasts of B
    /// per 24 FMAs) before the 48-row ones, and so takes at most one 32-row pair (see <see cref="BroadcastLayoutFor"/>).
    /// On Zen 4 (one core, B from memory, A/B in one process) the pair kernel (12 broadcasts per 24 FMAs) ran at 83–93
    /// GFLOP/s where the triples ran at 96–107: 64×2048×7168 82.6 → 99.8 and 66.6 → 99.4, 112×2048×7168 82.5 → 97.8,
    /// 128×2048×7168 (two triples and a pair before) 90.8 → 95.7 and 102.1 → 104.7, 120 rows 93.5 → 100.6; row counts
    /// that took only triples (96, 136..152) within ±2%; 176..300 rows +0–3.6%, 384 even; two cores 64 rows 175.8 →
    /// 212.1, 112 rows 196.1 → 209.7, 128 rows 157.9 → 170.5. The grouped GEMM of the moe-prefill preset (32 experts of
    /// 110..151 rows) against one dense GEMM of the same FLOPs: one core 0.931 → 0.952 and 0.906 → 0.943, two cores
    /// 0.910 → 0.920. Not measured on other CPUs, which keep the triples and pairs (the Zen 4 profile of <see cref="CpuTuning"/>).
    /// </summary>
    private static readonly bool BroadcastQuads = CpuTuning.Current.BroadcastQuads;

    /// <summary>
    /// How the unpacked-B path covers <c>m</c> rows of A: <see cref="Quads"/> 64-row, <see cref="Triples"/> 48-row and
    /// <see cref="Pairs"/> 32-row groups of 16-row vectors of Aᵀ, in that order, then <see cref="Tail"/> (0..8) rows on the
    /// decode path's 5..8-row tile (<see cref="QuadPairTile12{TB}"/>). The groups and the tail cover
    /// <c>16·Groups + Tail ≥ m</c> rows, the ones past <c>m</c> zero (fewer than 16).
    /// </summary>
    internal readonly record struct BroadcastLayout(int Quads, int Triples, int Pairs, int Tail)
    {
        /// <summary>16-row vectors of Aᵀ in the groups.</summary>
        public int Groups => (4 * Quads) + (3 * Triples) + (2 * Pairs);
    }

    /// <summary>The layout of <paramref name="m"/> (17 or more) rows; with <paramref name="quads"/> the 64-row groups come first (see <see cref="BroadcastQuads"/>).</summary>
    internal static BroadcastLayout BroadcastLayoutFor(int m, bool quads)
    {
        if (quads)
        {
            // 1..8 rows past whole vectors go as the tail behind 3 or 6 and more vectors; otherwise the rows are padded
            // to a whole vector (one core, GFLOP/s: 40 rows as two vectors and a tail 64.0, as a padded triple 79.6;
            // 68 rows as a quad and a tail 81.7, as a triple and a padded pair 85.6; 72 rows 86.5 and 92.0: the tail
            // tile's own pass over B costs too much beside four vectors). The vectors then go in quads, with one to
            // three triples for the 4k + 3, 4k + 2 and 4k + 1 left over; a pair only for 2 and 5 vectors.
            int whole = m / 16, rest = m % 16;
            bool tail = rest is > 0 and <= 8 && (whole == 3 || whole >= 6);
            int v = tail ? whole : (m + 15) / 16;
            int t = tail ? rest : 0;
            return (v % 4) switch
            {
                0 => new(v / 4, 0, 0, t),
                3 => new(v / 4, 1, 0, t),
                2 => v >= 6 ? new((v / 4) - 1, 2, 0, t) : new(0, 0, 1, t),
                _ => v >= 9 ? new((v / 4) - 2, 3, 0, t) : v == 5 ? new(0, 1, 1, t) : new(0, 0, 1, t),
            };
        }

        // By the rows left past the whole triples (measured on one core of the Xeon, A/B in one process): 1..8 go as
        // the tail; 9..16 turn the last triple into two pairs (64 rows: 125.7 GFLOP/s as two pairs, 118.1 as a triple
        // and a 16-row tail); 17..32 take one pair; 33..47 one more triple, padded.
        int rem = m % 48, triples = m / 48;
        return rem switch
        {
            0 => new(0, triples, 0, 0),
            <= 8 => new(0, triples, 0, rem),
            <= 16 => new(0, triples - 1, 2, 0), // M > 16, so there is a triple
            <= 32 => new(0, triples, 1, 0),
            _ => new(0, triples + 1, 0, 0),
        };
    }

    /// <summary>Whether a problem takes the unpacked-B path.</summary>
    private static bool UseBroadcastGemm(in GemmProblem p) =>
        Vector512.IsHardwareAccelerated && p.TransB && p.M > SkinnyRows && p.M <= BroadcastMaxRows && p.K > 0;

    /// <summary>C = alpha·A·Bᵀ + beta·C with B [N,K], B unpacked (see the type's remarks).</summary>
    private static void BroadcastGemm(GemmProblem p) => BroadcastGemm(p, BroadcastQuads);

    /// <summary>As <see cref="BroadcastGemm(GemmProblem)"/>, with or without the 64-row groups (tests take both on any AVX-512 CPU).</summary>
    internal static void BroadcastGemm(GemmProblem p, bool quads)
    {
        if (!UseBroadcastGemm(p))
        {
            throw new ArgumentException("The unpacked-B path takes F32/F16/BF16 B [N,K], 17..384 rows of A and K > 0, on AVX-512.", nameof(p));
        }

        int m = p.M, n = p.N, k = p.K;

        // Rows go in 16-row vectors of Aᵀ, four (Zen 4, BroadcastQuads) or three at a time (64 rows per micro-kernel
        // call on 6 rows of B, 48 on 8: six or eight broadcasts per 24 FMAs), in pairs (32 rows on 12 rows of B: twelve
        // per 24) for the rest, and 1..8 rows past them as two vectors of 4 rows × 4 k against quad broadcasts (the
        // decode path's 5..8-row tile; against its one-vector pair tile before, one core, A/B in one process:
        // 56×2048×7168 112.4 → 121.7 GFLOP/s, 52×1408×2048 103.6 → 108.6, 136×2048×7168 138.3 → 141.2,
        // 200×2048×7168 135.3 → 138.8). The split: BroadcastLayoutFor.
        BroadcastLayout layout = BroadcastLayoutFor(m, quads);
        int quadCount = layout.Quads, triples = layout.Triples, pairs = layout.Pairs, tail = layout.Tail;
        int groups = layout.Groups, tripleGroup = 4 * quadCount, pairGroup = tripleGroup + (3 * triples);
        // The tail's 1..8 rows: two vectors of 4 rows × 4 k (the decode path's quad tile for 5..8 rows).
        int tailWidth = 32, kQuads = k / 4;
        int mPad = (groups * 16) + (tail > 0 ? 16 : 0); // rows of Cᵀ per column (a multiple of 16 covering M)

        // Aᵀ in 16-row vectors, per group: aT[g][q][0..16) = A[16g .. 16g+16, q] (rows past M zero); then the tail's
        // quads, aTail[s][4i + j] = A[16·groups + i, 4s + j] (tailWidth floats per step, lanes past the tail zero),
        // packed from the tail's rows widened to F32 (kept after it: the k past a block's whole 16-k lines are read from them).
        float* aT = RentCallBuffer(5, ((long)groups * 16 * k) + ((long)kQuads * tailWidth) + ((long)tail * k) + 1, out bool owned);
        float* aTail = aT + ((long)groups * k * 16), tailRows = aTail + ((long)kQuads * tailWidth);
        try
        {
            if (tail > 0)
            {
                WidenRowsOfA(p, groups * 16, tail, tailRows, k);
                PackQuadsOfK(tailRows, k, tail, tailWidth / 4, (k & ~15) / 4, aTail, tailWidth); // the tile takes whole 16-k lines
            }

            for (int g = 0; g < groups; g++)
            {
                float* dst = aT + ((long)g * k * 16);
                int rows = Math.Clamp(m - (g * 16), 0, 16);
                if (p.InType == DType.F32 && !p.TransA)
                {
                    TransposeToPanel((float*)p.A + ((long)g * 16 * p.LdA), p.LdA, rows, k, dst, 16);
                    continue;
                }

                for (int r = 0; r < 16; r++)
                {
                    for (int q = 0; q < k; q++)
                    {
                        dst[(q * 16L) + r] = r < rows ? p.LoadA((g * 16) + r, q) : 0;
                    }
                }
            }

            int tiles = (n + BroadcastTileRows - 1) / BroadcastTileRows, kBlock = BroadcastKC(mPad);
            CpuParallel.For(tiles, 1, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
            {
                int j0 = (int)(t0 * BroadcastTileRows), j1 = (int)Math.Min(n, t1 * BroadcastTileRows), width = j1 - j0;

                // Cᵀ of this chunk, ct[n][mPad], and a staging tile for B rows that are not F32 or not a full tile.
                float* ct = CpuConvert.ScratchPointer(0, RoundUp(width, BroadcastTileRows) * mPad);
                float* stage = CpuConvert.ScratchPointer(1, BroadcastTileRows * kBlock);
                float* tailAcc = stackalloc float[12 * 32];
                for (int pc = 0; pc < k; pc += kBlock)
                {
                    int kc = Math.Min(kBlock, k - pc);
                    for (int j = j0; j < j1; j += BroadcastTileRows)
                    {
                        int cnt = Math.Min(BroadcastTileRows, j1 - j);
                        float* b;
                        long ldb;
                        bool inPlace = p.InType == DType.F32 && cnt == BroadcastTileRows && System.Runtime.Intrinsics.X86.Sse.IsSupported;
                        if (p.InType == DType.F32 && cnt == BroadcastTileRows)
                        {
                            b = (float*)p.B + ((long)j * p.LdB) + pc;
                            ldb = p.LdB;
                        }
                        else
                        {
                            for (int r = 0; r < BroadcastTileRows; r++)
                            {
                                Span<float> row = new(stage + (r * kc), kc);
                                if (r < cnt)
                                {
                                    CpuConvert.ToFloat(p.InType, p.B, ((long)(j + r) * p.LdB) + pc, row);
                                }
                                else
                                {
                                    row.Clear();
                                }
                            }

                            b = stage;
                            ldb = kc;
                        }

                        float* c = ct + ((long)(j - j0) * mPad);

                        // The next tile's rows of this K block (F32 and full: the staged ones are read from the source anyway).
                        int jn = j + BroadcastTileRows;
                        byte* next = p.InType == DType.F32 && jn + BroadcastTileRows <= j1 && System.Runtime.Intrinsics.X86.Sse.IsSupported
                            ? (byte*)((float*)p.B + ((long)jn * p.LdB) + pc) : null;
                        nint nextLd = (nint)(p.LdB * sizeof(float));

                        // The quads on the tile's four 6-row parts, then the triples on its three 8-row parts, the
                        // first call of each part fetching the next part's rows (the next tile's for the last part)
                        // while it runs; then the pairs and the tail on its two 12-row parts (from the cache when
                        // wider groups went first, else fetching the same way).
                        for (int s = 0; s < BroadcastTileRows; s += 6)
                        {
                            byte* nextPart = s + 6 < BroadcastTileRows ? (inPlace ? (byte*)(b + ((s + 6) * ldb)) : null) : next;
                            for (int t = 0; t < quadCount; t++)
                            {
                                long g = 4 * t;
                                BroadcastMicro4(kc, aT + (((g * k) + pc) * 16), aT + ((((g + 1) * k) + pc) * 16), aT + ((((g + 2) * k) + pc) * 16), aT + ((((g + 3) * k) + pc) * 16), b + (s * ldb), ldb, c + (s * mPad) + (g * 16), mPad, pc == 0, t == 0 ? nextPart : null, nextLd);
                            }
                        }

                        for (int s = 0; s < BroadcastTileRows; s += 8)
                        {
                            byte* nextPart = quadCount > 0 ? null : s + 8 < BroadcastTileRows ? (inPlace ? (byte*)(b + ((s + 8) * ldb)) : null) : next;
                            for (int t = 0; t < triples; t++)
                            {
                                long g = tripleGroup + (3 * t);
                                BroadcastMicro3(kc, aT + (((g * k) + pc) * 16), aT + ((((g + 1) * k) + pc) * 16), aT + ((((g + 2) * k) + pc) * 16), b + (s * ldb), ldb, c + (s * mPad) + (g * 16), mPad, pc == 0, t == 0 ? nextPart : null, nextLd);
                            }
                        }

                        for (int s = 0; s < BroadcastTileRows; s += 12)
                        {
                            float* bs = b + (s * ldb);
                            for (int q = 0; q < pairs; q++)
                            {
                                long g = pairGroup + (2 * q);
                                byte* nextPart = triples > 0 || quadCount > 0 || q > 0 ? null : s + 12 < BroadcastTileRows ? (inPlace ? (byte*)(b + ((s + 12) * ldb)) : null) : next;
                                BroadcastMicro2(kc, aT + (((g * k) + pc) * 16), aT + ((((g + 1) * k) + pc) * 16), bs, ldb, c + (s * mPad) + (g * 16), mPad, pc == 0, nextPart, nextLd);
                            }

                            if (tail > 0 && s < cnt)
                            {
                                // Blocks start at a multiple of 4 k (kBlock is a multiple of 64); the tile takes the
                                // block's whole 16-k lines, the rest of it (at most 15 k) is summed here.
                                int kv = kc & ~15;
                                QuadPairTile12<QuadPair>(kv / 4, aTail + ((pc / 4) * (long)tailWidth), (byte*)bs, (nint)(ldb * sizeof(float)), tailAcc, 0);
                                for (int r = 0; r < Math.Min(12, cnt - s); r++)
                                {
                                    float* ctr = c + ((long)(s + r) * mPad) + (groups * 16);
                                    float* br = bs + ((long)r * ldb);
                                    for (int i = 0; i < tail; i++)
                                    {
                                        float* acc = tailAcc + (r * tailWidth) + (4 * i);
                                        float v = acc[0] + acc[1] + acc[2] + acc[3];
                                        for (int q = kv; q < kc; q++)
                                        {
                                            v += tailRows[((long)i * k) + pc + q] * br[q];
                                        }

                                        ctr[i] = pc == 0 ? v : ctr[i] + v;
                                    }
                                }
                            }
                        }
                    }
                }

                // C[i, j0 + c] = alpha·ct[c][i] + beta·C[i, j0 + c], eight rows of C at a time: Cᵀ transposed back
                // 8×8 in registers (the columns past the last multiple of 8 element by element; ct holds mPad ≥ i + 8
                // rows, so a group past M reads only padding).
                float* rows8 = CpuConvert.ScratchPointer(3, 8 * width);
                int w8 = width & ~7;
                for (int i0 = 0; i0 < m; i0 += 8)
                {
                    for (int c = 0; c < w8; c += 8)
                    {
                        Transpose8x8(ct + ((long)c * mPad) + i0, mPad, rows8 + c, width);
                    }

                    for (int r = 0; r < 8; r++)
                    {
                        for (int c = w8; c < width; c++)
                        {
                            rows8[(r * width) + c] = ct[((long)c * mPad) + i0 + r];
                        }
                    }

                    for (int r = 0; r < Math.Min(8, m - i0); r++)
                    {
                        WriteRow(p, i0 + r, j0, new Span<float>(rows8 + (r * width), width));
                    }
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

    /// <summary>
    /// ct[r·ldc + 0..32) (+)= Σ_q B[r, q]·(aT0[q], aT1[q]) for the 12 B rows b + r·ldb: 12 × 2 vectors, each
    /// broadcast of B serving two FMAs. Rows addressed from four base pointers and one stride register; K unrolled
    /// four times, so a step's 24 FMAs carry a quarter of the loop's pointer updates and of the prefetch's address
    /// arithmetic (one step per iteration issued about 57 micro-ops for 24 FMAs, close to the 5 a cycle the core
    /// renames, and ran 5–8% slower on an Ice Lake Xeon: 64..136 rows × 2048 × 7168 119–126 → 126–137 GFLOP/s).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastMicro2(int kc, float* aT0, float* aT1, float* b, long ldb, float* ct, int ldc, bool overwrite, byte* next, nint nextLd)
    {
        nint ld = (nint)(ldb * sizeof(float));
        byte* p0 = (byte*)b, p3 = p0 + (3 * ld), p6 = p0 + (6 * ld), p9 = p0 + (9 * ld);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        Vector512<float> a0, a1, x;

        // Prefetch (to L2) the next tile's 12 × kc segment of B, three lines every four steps: rows 0..11 of one
        // 64-byte column in turn, a column per 16 steps. Its first pass would otherwise wait on memory for every line
        // (a broadcast-load stream draws memory slowly).
        nint ld3 = 3 * nextLd;
        int q = 0;
        for (; q <= kc - 4; q += 4)
        {
            if (next != null)
            {
                byte* pf = next + (((q >> 2) & 3) * ld3) + ((nint)(q & ~15) * sizeof(float));
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf);
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf + nextLd);
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf + (nextLd << 1));
            }

            a0 = Vector512.Load(aT0);
            a1 = Vector512.Load(aT1);
            x = Vector512.Create(*(float*)p0);
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01);
            x = Vector512.Create(*(float*)(p0 + ld));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11);
            x = Vector512.Create(*(float*)(p0 + (ld << 1)));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21);
            x = Vector512.Create(*(float*)p3);
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31);
            x = Vector512.Create(*(float*)(p3 + ld));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41);
            x = Vector512.Create(*(float*)(p3 + (ld << 1)));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51);
            x = Vector512.Create(*(float*)p6);
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61);
            x = Vector512.Create(*(float*)(p6 + ld));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71);
            x = Vector512.Create(*(float*)(p6 + (ld << 1)));
            c80 = Vector512.FusedMultiplyAdd(x, a0, c80); c81 = Vector512.FusedMultiplyAdd(x, a1, c81);
            x = Vector512.Create(*(float*)p9);
            c90 = Vector512.FusedMultiplyAdd(x, a0, c90); c91 = Vector512.FusedMultiplyAdd(x, a1, c91);
            x = Vector512.Create(*(float*)(p9 + ld));
            ca0 = Vector512.FusedMultiplyAdd(x, a0, ca0); ca1 = Vector512.FusedMultiplyAdd(x, a1, ca1);
            x = Vector512.Create(*(float*)(p9 + (ld << 1)));
            cb0 = Vector512.FusedMultiplyAdd(x, a0, cb0); cb1 = Vector512.FusedMultiplyAdd(x, a1, cb1);
            a0 = Vector512.Load(aT0 + 16);
            a1 = Vector512.Load(aT1 + 16);
            x = Vector512.Create(*(float*)(p0 + 4));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01);
            x = Vector512.Create(*(float*)(p0 + ld + 4));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 4));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21);
            x = Vector512.Create(*(float*)(p3 + 4));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31);
            x = Vector512.Create(*(float*)(p3 + ld + 4));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 4));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51);
            x = Vector512.Create(*(float*)(p6 + 4));
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61);
            x = Vector512.Create(*(float*)(p6 + ld + 4));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71);
            x = Vector512.Create(*(float*)(p6 + (ld << 1) + 4));
            c80 = Vector512.FusedMultiplyAdd(x, a0, c80); c81 = Vector512.FusedMultiplyAdd(x, a1, c81);
            x = Vector512.Create(*(float*)(p9 + 4));
            c90 = Vector512.FusedMultiplyAdd(x, a0, c90); c91 = Vector512.FusedMultiplyAdd(x, a1, c91);
            x = Vector512.Create(*(float*)(p9 + ld + 4));
            ca0 = Vector512.FusedMultiplyAdd(x, a0, ca0); ca1 = Vector512.FusedMultiplyAdd(x, a1, ca1);
            x = Vector512.Create(*(float*)(p9 + (ld << 1) + 4));
            cb0 = Vector512.FusedMultiplyAdd(x, a0, cb0); cb1 = Vector512.FusedMultiplyAdd(x, a1, cb1);
            a0 = Vector512.Load(aT0 + 32);
            a1 = Vector512.Load(aT1 + 32);
            x = Vector512.Create(*(float*)(p0 + 8));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01);
            x = Vector512.Create(*(float*)(p0 + ld + 8));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 8));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21);
            x = Vector512.Create(*(float*)(p3 + 8));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31);
            x = Vector512.Create(*(float*)(p3 + ld + 8));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 8));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51);
            x = Vector512.Create(*(float*)(p6 + 8));
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61);
            x = Vector512.Create(*(float*)(p6 + ld + 8));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71);
            x = Vector512.Create(*(float*)(p6 + (ld << 1) + 8));
            c80 = Vector512.FusedMultiplyAdd(x, a0, c80); c81 = Vector512.FusedMultiplyAdd(x, a1, c81);
            x = Vector512.Create(*(float*)(p9 + 8));
            c90 = Vector512.FusedMultiplyAdd(x, a0, c90); c91 = Vector512.FusedMultiplyAdd(x, a1, c91);
            x = Vector512.Create(*(float*)(p9 + ld + 8));
            ca0 = Vector512.FusedMultiplyAdd(x, a0, ca0); ca1 = Vector512.FusedMultiplyAdd(x, a1, ca1);
            x = Vector512.Create(*(float*)(p9 + (ld << 1) + 8));
            cb0 = Vector512.FusedMultiplyAdd(x, a0, cb0); cb1 = Vector512.FusedMultiplyAdd(x, a1, cb1);
            a0 = Vector512.Load(aT0 + 48);
            a1 = Vector512.Load(aT1 + 48);
            x = Vector512.Create(*(float*)(p0 + 12));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01);
            x = Vector512.Create(*(float*)(p0 + ld + 12));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 12));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21);
            x = Vector512.Create(*(float*)(p3 + 12));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31);
            x = Vector512.Create(*(float*)(p3 + ld + 12));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 12));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51);
            x = Vector512.Create(*(float*)(p6 + 12));
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61);
            x = Vector512.Create(*(float*)(p6 + ld + 12));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71);
            x = Vector512.Create(*(float*)(p6 + (ld << 1) + 12));
            c80 = Vector512.FusedMultiplyAdd(x, a0, c80); c81 = Vector512.FusedMultiplyAdd(x, a1, c81);
            x = Vector512.Create(*(float*)(p9 + 12));
            c90 = Vector512.FusedMultiplyAdd(x, a0, c90); c91 = Vector512.FusedMultiplyAdd(x, a1, c91);
            x = Vector512.Create(*(float*)(p9 + ld + 12));
            ca0 = Vector512.FusedMultiplyAdd(x, a0, ca0); ca1 = Vector512.FusedMultiplyAdd(x, a1, ca1);
            x = Vector512.Create(*(float*)(p9 + (ld << 1) + 12));
            cb0 = Vector512.FusedMultiplyAdd(x, a0, cb0); cb1 = Vector512.FusedMultiplyAdd(x, a1, cb1);
            aT0 += 64;
            aT1 += 64;
            p0 += 4 * sizeof(float);
            p3 += 4 * sizeof(float);
            p6 += 4 * sizeof(float);
            p9 += 4 * sizeof(float);
        }

        for (; q < kc; q++)
        {
            a0 = Vector512.Load(aT0);
            a1 = Vector512.Load(aT1);
            x = Vector512.Create(*(float*)p0);
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01);
            x = Vector512.Create(*(float*)(p0 + ld));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11);
            x = Vector512.Create(*(float*)(p0 + (ld << 1)));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21);
            x = Vector512.Create(*(float*)p3);
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31);
            x = Vector512.Create(*(float*)(p3 + ld));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41);
            x = Vector512.Create(*(float*)(p3 + (ld << 1)));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51);
            x = Vector512.Create(*(float*)p6);
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61);
            x = Vector512.Create(*(float*)(p6 + ld));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71);
            x = Vector512.Create(*(float*)(p6 + (ld << 1)));
            c80 = Vector512.FusedMultiplyAdd(x, a0, c80); c81 = Vector512.FusedMultiplyAdd(x, a1, c81);
            x = Vector512.Create(*(float*)p9);
            c90 = Vector512.FusedMultiplyAdd(x, a0, c90); c91 = Vector512.FusedMultiplyAdd(x, a1, c91);
            x = Vector512.Create(*(float*)(p9 + ld));
            ca0 = Vector512.FusedMultiplyAdd(x, a0, ca0); ca1 = Vector512.FusedMultiplyAdd(x, a1, ca1);
            x = Vector512.Create(*(float*)(p9 + (ld << 1)));
            cb0 = Vector512.FusedMultiplyAdd(x, a0, cb0); cb1 = Vector512.FusedMultiplyAdd(x, a1, cb1);
            aT0 += 16;
            aT1 += 16;
            p0 += sizeof(float);
            p3 += sizeof(float);
            p6 += sizeof(float);
            p9 += sizeof(float);
        }

        Accumulate2(ct, c00, c01, overwrite);
        Accumulate2(ct + ldc, c10, c11, overwrite);
        Accumulate2(ct + (2 * ldc), c20, c21, overwrite);
        Accumulate2(ct + (3 * ldc), c30, c31, overwrite);
        Accumulate2(ct + (4 * ldc), c40, c41, overwrite);
        Accumulate2(ct + (5 * ldc), c50, c51, overwrite);
        Accumulate2(ct + (6 * ldc), c60, c61, overwrite);
        Accumulate2(ct + (7 * ldc), c70, c71, overwrite);
        Accumulate2(ct + (8 * ldc), c80, c81, overwrite);
        Accumulate2(ct + (9 * ldc), c90, c91, overwrite);
        Accumulate2(ct + (10 * ldc), ca0, ca1, overwrite);
        Accumulate2(ct + (11 * ldc), cb0, cb1, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate2(float* c, Vector512<float> v0, Vector512<float> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>
    /// ct[r·ldc + 0..48) (+)= Σ_q B[r, q]·(aT0[q], aT1[q], aT2[q]) for the 8 B rows b + r·ldb: 8 × 3 vectors, each
    /// broadcast of B serving three FMAs (eight broadcasts per 24 FMAs; twelve in the 12 × 2 kernel, which ran at 88% of
    /// the FMA peak where this shape reaches 97–100% on an Ice Lake Xeon). Rows addressed from three base pointers and
    /// one stride register; K unrolled four times (see <see cref="BroadcastMicro2"/>). <paramref name="next"/>: the
    /// next 8 rows of B (<paramref name="nextLd"/> bytes apart), fetched into L2 meanwhile, or null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastMicro3(int kc, float* aT0, float* aT1, float* aT2, float* b, long ldb, float* ct, int ldc, bool overwrite, byte* next, nint nextLd)
    {
        nint ld = (nint)(ldb * sizeof(float));
        byte* p0 = (byte*)b, p3 = p0 + (3 * ld), p6 = p0 + (6 * ld);
        Vector512<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default;
        Vector512<float> c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
        Vector512<float> a0, a1, a2, x;

        // Prefetch (to L2) the next 8 rows' kc segment of B, two lines every four steps: rows 0..7 of one 64-byte
        // column in turn, a column per 16 steps.
        nint ld2 = 2 * nextLd;
        int q = 0;
        for (; q <= kc - 4; q += 4)
        {
            if (next != null)
            {
                byte* pf = next + (((q >> 2) & 3) * ld2) + ((nint)(q & ~15) * sizeof(float));
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf);
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf + nextLd);
            }

            a0 = Vector512.Load(aT0);
            a1 = Vector512.Load(aT1);
            a2 = Vector512.Load(aT2);
            x = Vector512.Create(*(float*)p0);
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02);
            x = Vector512.Create(*(float*)(p0 + ld));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12);
            x = Vector512.Create(*(float*)(p0 + (ld << 1)));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22);
            x = Vector512.Create(*(float*)p3);
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32);
            x = Vector512.Create(*(float*)(p3 + ld));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42);
            x = Vector512.Create(*(float*)(p3 + (ld << 1)));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52);
            x = Vector512.Create(*(float*)p6);
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61); c62 = Vector512.FusedMultiplyAdd(x, a2, c62);
            x = Vector512.Create(*(float*)(p6 + ld));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71); c72 = Vector512.FusedMultiplyAdd(x, a2, c72);
            a0 = Vector512.Load(aT0 + 16);
            a1 = Vector512.Load(aT1 + 16);
            a2 = Vector512.Load(aT2 + 16);
            x = Vector512.Create(*(float*)(p0 + 4));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02);
            x = Vector512.Create(*(float*)(p0 + ld + 4));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 4));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22);
            x = Vector512.Create(*(float*)(p3 + 4));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32);
            x = Vector512.Create(*(float*)(p3 + ld + 4));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 4));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52);
            x = Vector512.Create(*(float*)(p6 + 4));
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61); c62 = Vector512.FusedMultiplyAdd(x, a2, c62);
            x = Vector512.Create(*(float*)(p6 + ld + 4));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71); c72 = Vector512.FusedMultiplyAdd(x, a2, c72);
            a0 = Vector512.Load(aT0 + 32);
            a1 = Vector512.Load(aT1 + 32);
            a2 = Vector512.Load(aT2 + 32);
            x = Vector512.Create(*(float*)(p0 + 8));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02);
            x = Vector512.Create(*(float*)(p0 + ld + 8));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 8));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22);
            x = Vector512.Create(*(float*)(p3 + 8));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32);
            x = Vector512.Create(*(float*)(p3 + ld + 8));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 8));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52);
            x = Vector512.Create(*(float*)(p6 + 8));
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61); c62 = Vector512.FusedMultiplyAdd(x, a2, c62);
            x = Vector512.Create(*(float*)(p6 + ld + 8));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71); c72 = Vector512.FusedMultiplyAdd(x, a2, c72);
            a0 = Vector512.Load(aT0 + 48);
            a1 = Vector512.Load(aT1 + 48);
            a2 = Vector512.Load(aT2 + 48);
            x = Vector512.Create(*(float*)(p0 + 12));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02);
            x = Vector512.Create(*(float*)(p0 + ld + 12));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 12));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22);
            x = Vector512.Create(*(float*)(p3 + 12));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32);
            x = Vector512.Create(*(float*)(p3 + ld + 12));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 12));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52);
            x = Vector512.Create(*(float*)(p6 + 12));
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61); c62 = Vector512.FusedMultiplyAdd(x, a2, c62);
            x = Vector512.Create(*(float*)(p6 + ld + 12));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71); c72 = Vector512.FusedMultiplyAdd(x, a2, c72);
            aT0 += 64;
            aT1 += 64;
            aT2 += 64;
            p0 += 4 * sizeof(float);
            p3 += 4 * sizeof(float);
            p6 += 4 * sizeof(float);
        }

        for (; q < kc; q++)
        {
            a0 = Vector512.Load(aT0);
            a1 = Vector512.Load(aT1);
            a2 = Vector512.Load(aT2);
            x = Vector512.Create(*(float*)p0);
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02);
            x = Vector512.Create(*(float*)(p0 + ld));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12);
            x = Vector512.Create(*(float*)(p0 + (ld << 1)));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22);
            x = Vector512.Create(*(float*)p3);
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32);
            x = Vector512.Create(*(float*)(p3 + ld));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42);
            x = Vector512.Create(*(float*)(p3 + (ld << 1)));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52);
            x = Vector512.Create(*(float*)p6);
            c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61); c62 = Vector512.FusedMultiplyAdd(x, a2, c62);
            x = Vector512.Create(*(float*)(p6 + ld));
            c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71); c72 = Vector512.FusedMultiplyAdd(x, a2, c72);
            aT0 += 16;
            aT1 += 16;
            aT2 += 16;
            p0 += sizeof(float);
            p3 += sizeof(float);
            p6 += sizeof(float);
        }

        Accumulate3(ct, c00, c01, c02, overwrite);
        Accumulate3(ct + ldc, c10, c11, c12, overwrite);
        Accumulate3(ct + (2 * ldc), c20, c21, c22, overwrite);
        Accumulate3(ct + (3 * ldc), c30, c31, c32, overwrite);
        Accumulate3(ct + (4 * ldc), c40, c41, c42, overwrite);
        Accumulate3(ct + (5 * ldc), c50, c51, c52, overwrite);
        Accumulate3(ct + (6 * ldc), c60, c61, c62, overwrite);
        Accumulate3(ct + (7 * ldc), c70, c71, c72, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate3(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
            v2 += Vector512.Load(c + 32);
        }

        v0.Store(c);
        v1.Store(c + 16);
        v2.Store(c + 32);
    }

    /// <summary>
    /// ct[r·ldc + 0..64) (+)= Σ_q B[r, q]·(aT0[q], aT1[q], aT2[q], aT3[q]) for the 6 B rows b + r·ldb: 6 × 4 vectors,
    /// each broadcast of B serving four FMAs (six broadcasts per 24 FMAs, against eight in the 8 × 3 kernel and twelve
    /// in the 12 × 2 one; see <see cref="BroadcastQuads"/> for where it is taken and what it measured). Rows addressed
    /// from two base pointers and one stride register; K unrolled four times (see <see cref="BroadcastMicro2"/>).
    /// <paramref name="next"/>: the next 6 rows of B (<paramref name="nextLd"/> bytes apart), fetched into L2
    /// meanwhile, or null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BroadcastMicro4(int kc, float* aT0, float* aT1, float* aT2, float* aT3, float* b, long ldb, float* ct, int ldc, bool overwrite, byte* next, nint nextLd)
    {
        nint ld = (nint)(ldb * sizeof(float));
        byte* p0 = (byte*)b, p3 = p0 + (3 * ld);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        Vector512<float> a0, a1, a2, a3, x;

        // Prefetch (to L2) the next 6 rows' kc segment of B, two lines in three of every four steps: rows 0..5 of one
        // 64-byte column in turn, a column per 16 steps.
        nint ld2 = 2 * nextLd;
        int q = 0;
        for (; q <= kc - 4; q += 4)
        {
            int pair = (q >> 2) & 3;
            if (next != null && pair != 3)
            {
                byte* pf = next + (pair * ld2) + ((nint)(q & ~15) * sizeof(float));
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf);
                System.Runtime.Intrinsics.X86.Sse.Prefetch1(pf + nextLd);
            }

            a0 = Vector512.Load(aT0);
            a1 = Vector512.Load(aT1);
            a2 = Vector512.Load(aT2);
            a3 = Vector512.Load(aT3);
            x = Vector512.Create(*(float*)p0);
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02); c03 = Vector512.FusedMultiplyAdd(x, a3, c03);
            x = Vector512.Create(*(float*)(p0 + ld));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12); c13 = Vector512.FusedMultiplyAdd(x, a3, c13);
            x = Vector512.Create(*(float*)(p0 + (ld << 1)));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22); c23 = Vector512.FusedMultiplyAdd(x, a3, c23);
            x = Vector512.Create(*(float*)p3);
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32); c33 = Vector512.FusedMultiplyAdd(x, a3, c33);
            x = Vector512.Create(*(float*)(p3 + ld));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42); c43 = Vector512.FusedMultiplyAdd(x, a3, c43);
            x = Vector512.Create(*(float*)(p3 + (ld << 1)));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52); c53 = Vector512.FusedMultiplyAdd(x, a3, c53);
            a0 = Vector512.Load(aT0 + 16);
            a1 = Vector512.Load(aT1 + 16);
            a2 = Vector512.Load(aT2 + 16);
            a3 = Vector512.Load(aT3 + 16);
            x = Vector512.Create(*(float*)(p0 + 4));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02); c03 = Vector512.FusedMultiplyAdd(x, a3, c03);
            x = Vector512.Create(*(float*)(p0 + ld + 4));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12); c13 = Vector512.FusedMultiplyAdd(x, a3, c13);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 4));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22); c23 = Vector512.FusedMultiplyAdd(x, a3, c23);
            x = Vector512.Create(*(float*)(p3 + 4));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32); c33 = Vector512.FusedMultiplyAdd(x, a3, c33);
            x = Vector512.Create(*(float*)(p3 + ld + 4));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42); c43 = Vector512.FusedMultiplyAdd(x, a3, c43);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 4));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52); c53 = Vector512.FusedMultiplyAdd(x, a3, c53);
            a0 = Vector512.Load(aT0 + 32);
            a1 = Vector512.Load(aT1 + 32);
            a2 = Vector512.Load(aT2 + 32);
            a3 = Vector512.Load(aT3 + 32);
            x = Vector512.Create(*(float*)(p0 + 8));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02); c03 = Vector512.FusedMultiplyAdd(x, a3, c03);
            x = Vector512.Create(*(float*)(p0 + ld + 8));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12); c13 = Vector512.FusedMultiplyAdd(x, a3, c13);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 8));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22); c23 = Vector512.FusedMultiplyAdd(x, a3, c23);
            x = Vector512.Create(*(float*)(p3 + 8));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32); c33 = Vector512.FusedMultiplyAdd(x, a3, c33);
            x = Vector512.Create(*(float*)(p3 + ld + 8));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42); c43 = Vector512.FusedMultiplyAdd(x, a3, c43);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 8));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52); c53 = Vector512.FusedMultiplyAdd(x, a3, c53);
            a0 = Vector512.Load(aT0 + 48);
            a1 = Vector512.Load(aT1 + 48);
            a2 = Vector512.Load(aT2 + 48);
            a3 = Vector512.Load(aT3 + 48);
            x = Vector512.Create(*(float*)(p0 + 12));
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02); c03 = Vector512.FusedMultiplyAdd(x, a3, c03);
            x = Vector512.Create(*(float*)(p0 + ld + 12));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12); c13 = Vector512.FusedMultiplyAdd(x, a3, c13);
            x = Vector512.Create(*(float*)(p0 + (ld << 1) + 12));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22); c23 = Vector512.FusedMultiplyAdd(x, a3, c23);
            x = Vector512.Create(*(float*)(p3 + 12));
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32); c33 = Vector512.FusedMultiplyAdd(x, a3, c33);
            x = Vector512.Create(*(float*)(p3 + ld + 12));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42); c43 = Vector512.FusedMultiplyAdd(x, a3, c43);
            x = Vector512.Create(*(float*)(p3 + (ld << 1) + 12));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52); c53 = Vector512.FusedMultiplyAdd(x, a3, c53);
            aT0 += 64;
            aT1 += 64;
            aT2 += 64;
            aT3 += 64;
            p0 += 4 * sizeof(float);
            p3 += 4 * sizeof(float);
        }

        for (; q < kc; q++)
        {
            a0 = Vector512.Load(aT0);
            a1 = Vector512.Load(aT1);
            a2 = Vector512.Load(aT2);
            a3 = Vector512.Load(aT3);
            x = Vector512.Create(*(float*)p0);
            c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01); c02 = Vector512.FusedMultiplyAdd(x, a2, c02); c03 = Vector512.FusedMultiplyAdd(x, a3, c03);
            x = Vector512.Create(*(float*)(p0 + ld));
            c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11); c12 = Vector512.FusedMultiplyAdd(x, a2, c12); c13 = Vector512.FusedMultiplyAdd(x, a3, c13);
            x = Vector512.Create(*(float*)(p0 + (ld << 1)));
            c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21); c22 = Vector512.FusedMultiplyAdd(x, a2, c22); c23 = Vector512.FusedMultiplyAdd(x, a3, c23);
            x = Vector512.Create(*(float*)p3);
            c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31); c32 = Vector512.FusedMultiplyAdd(x, a2, c32); c33 = Vector512.FusedMultiplyAdd(x, a3, c33);
            x = Vector512.Create(*(float*)(p3 + ld));
            c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41); c42 = Vector512.FusedMultiplyAdd(x, a2, c42); c43 = Vector512.FusedMultiplyAdd(x, a3, c43);
            x = Vector512.Create(*(float*)(p3 + (ld << 1)));
            c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51); c52 = Vector512.FusedMultiplyAdd(x, a2, c52); c53 = Vector512.FusedMultiplyAdd(x, a3, c53);
            aT0 += 16;
            aT1 += 16;
            aT2 += 16;
            aT3 += 16;
            p0 += sizeof(float);
            p3 += sizeof(float);
        }

        Accumulate4(ct, c00, c01, c02, c03, overwrite);
        Accumulate4(ct + ldc, c10, c11, c12, c13, overwrite);
        Accumulate4(ct + (2 * ldc), c20, c21, c22, c23, overwrite);
        Accumulate4(ct + (3 * ldc), c30, c31, c32, c33, overwrite);
        Accumulate4(ct + (4 * ldc), c40, c41, c42, c43, overwrite);
        Accumulate4(ct + (5 * ldc), c50, c51, c52, c53, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate4(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, bool overwrite)
    {
        Accumulate2(c, v0, v1, overwrite);
        Accumulate2(c + 32, v2, v3, overwrite);
    }
}
