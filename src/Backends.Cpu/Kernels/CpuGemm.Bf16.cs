using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <content>
/// The blocked GEMM on BF16 inputs with <see cref="CpuBf16Dot"/> (AVX512-BF16): A and B are packed as pairs of k
/// (two BF16 values in a dword, k even in the low half) instead of being widened to F32, into the same panel shapes
/// as the F32 kernel's (8 rows of A, 48 columns of B, per pair of k instead of per k), and the kernel multiplies a
/// pair by a pair per lane. The grid, the stages and the stealing of row blocks are the F32 path's.
/// </content>
internal static unsafe partial class CpuGemm
{
    /// <summary>Whether a problem runs on the BF16 dot kernel: BF16 inputs, the 512-bit panel shape, and the kernel loaded and wanted.</summary>
    private static bool UsesBf16Dot(in GemmProblem p, int nr, bool wanted) =>
        wanted && p.InType == DType.BF16 && nr == CpuBf16Dot.Nr && MrFor(16) == CpuBf16Dot.Mr && CpuBf16Dot.Available;

    /// <summary>
    /// B[pc..pc+kc, jc..jc+nc] (BF16) into 48-column panels of k pairs, zero-padded (columns past the block, and the
    /// high half of the last pair when kc is odd): panel q holds (kc + 1) / 2 rows of 48 dwords.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPairs(GemmProblem p, int pc, int kc, int jc, int nc, uint* bPack)
    {
        const int nr = CpuBf16Dot.Nr;
        int panels = (nc + nr - 1) / nr, kp = (kc + 1) / 2;
        ushort* b = (ushort*)p.B;
        for (int q = 0; q < panels; q++)
        {
            uint* dst = bPack + ((long)q * nr * kp);
            int j0 = jc + (q * nr);
            int cols = Math.Min(nr, jc + nc - j0);
            if (p.TransB)
            {
                // B [N,K]: a pair is one dword of a row of B, so the panel is a transpose of `cols` rows × kc/2 dwords.
                PackPairsOfRows(b + ((long)j0 * p.LdB) + pc, p.LdB, cols, kc, dst, nr);
            }
            else
            {
                // B [K,N]: a pair interleaves two rows of B.
                PackPairsOfColumns(b + ((long)pc * p.LdB) + j0, p.LdB, cols, kc, dst, nr);
            }
        }
    }

    /// <summary>A[i0..i0+mc, pc..pc+kc] (BF16) into 8-row panels of k pairs, zero-padded: panel ir / 8 at aPack + ir·kp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAPairs(GemmProblem p, int i0, int mc, int pc, int kc, uint* aPack)
    {
        const int mr = CpuBf16Dot.Mr;
        int kp = (kc + 1) / 2;
        ushort* a = (ushort*)p.A;
        for (int ir = 0; ir < mc; ir += mr)
        {
            uint* dst = aPack + ((long)ir * kp);
            int rows = Math.Min(mr, mc - ir);
            if (!p.TransA)
            {
                PackPairsOfRows(a + ((long)(i0 + ir) * p.LdA) + pc, p.LdA, rows, kc, dst, mr);
            }
            else
            {
                PackPairsOfColumns(a + ((long)pc * p.LdA) + i0 + ir, p.LdA, rows, kc, dst, mr);
            }
        }
    }

    /// <summary>
    /// dst[kk·width + r] = src[r·ld + 2kk] | src[r·ld + 2kk + 1] &lt;&lt; 16 for r &lt; rows (the second half 0 past kc), 0 for
    /// rows ≤ r &lt; width: rows of BF16 values, k contiguous, as pairs. With an even row stride the pairs are whole
    /// dwords on a dword stride and go by the F32 packer's register transposes; an odd stride goes element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPairsOfRows(ushort* src, long ld, int rows, int kc, uint* dst, int width)
    {
        int whole = kc / 2, kp = (kc + 1) / 2;
        if ((ld & 1) == 0)
        {
            // The transposes move 32-bit lanes without arithmetic, so BF16 bits (NaN payloads included) pass unchanged.
            TransposeToPanel((float*)src, ld / 2, rows, whole, (float*)dst, width);
        }
        else
        {
            for (int r = 0; r < width; r++)
            {
                ushort* row = src + (r * ld);
                for (int kk = 0; kk < whole; kk++)
                {
                    dst[((long)kk * width) + r] = r < rows ? row[2 * kk] | ((uint)row[(2 * kk) + 1] << 16) : 0;
                }
            }
        }

        if (kp > whole)
        {
            // The odd last k: its pair's high half is zero (and so is the other operand's), read without passing kc.
            uint* last = dst + ((long)whole * width);
            for (int r = 0; r < width; r++)
            {
                last[r] = r < rows ? src[(r * ld) + kc - 1] : 0u;
            }
        }
    }

    /// <summary>
    /// dst[kk·width + c] = src[2kk·ld + c] | src[(2kk + 1)·ld + c] &lt;&lt; 16 for c &lt; cols (the second half 0 past kc), 0 for
    /// cols ≤ c &lt; width: BF16 values stored k-major (B [K,N], or A [K,M]) as pairs, 16 columns at a time by zero
    /// extension and a shift where AVX-512 is in use.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPairsOfColumns(ushort* src, long ld, int cols, int kc, uint* dst, int width)
    {
        int kp = (kc + 1) / 2;
        int c16 = Avx512F.IsSupported ? cols & ~15 : 0;
        for (int kk = 0; kk < kp; kk++)
        {
            ushort* lo = src + ((long)2 * kk * ld);
            ushort* hi = (2 * kk) + 1 < kc ? lo + ld : null;
            uint* d = dst + ((long)kk * width);
            for (int c = 0; c < c16; c += 16)
            {
                Vector512<uint> l = Avx512F.ConvertToVector512UInt32(Vector256.Load(lo + c));
                Vector512<uint> h = hi is null ? Vector512<uint>.Zero : Avx512F.ConvertToVector512UInt32(Vector256.Load(hi + c)) << 16;
                (l | h).Store(d + c);
            }

            for (int c = c16; c < width; c++)
            {
                d[c] = c < cols ? lo[c] | (hi is null ? 0u : (uint)hi[c] << 16) : 0u;
            }
        }
    }

    /// <summary>
    /// Row block <paramref name="b"/> of a stage on the BF16 dot kernel: A packed as pairs for its rows, then per (B
    /// panel, A panel) the kernel into an 8 × 48 tile and the tile into C (alpha, and overwrite or accumulate).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowBlockDot(GemmProblem p, float* cf, int ldcf, in GemmBlock s, int b)
    {
        const int nr = CpuBf16Dot.Nr, mr = CpuBf16Dot.Mr;
        int kc = s.Kc, kp = (kc + 1) / 2, ic = s.I0 + (b * s.McStep), mc = Math.Min(s.McStep, s.I1 - ic);
        int panels = (s.Nc + nr - 1) / nr;
        uint* aPack = (uint*)CpuConvert.ScratchPointer(0, RoundUp(MC, mr) * KC);
        PackAPairs(p, ic, mc, s.Pc, kc, aPack);

        float* tile = stackalloc float[(mr * nr) + 16];
        tile = (float*)(((nint)tile + 63) & ~(nint)63);
        Vector512<float> alpha = Vector512.Create(p.Alpha);
        for (int jp = 0; jp < panels; jp++)
        {
            int j = s.Jc + (jp * nr);
            int nCols = Math.Min(nr, s.J1 - j);
            uint* bp = (uint*)s.BPack + ((long)jp * nr * kp);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mRows = Math.Min(mr, mc - ir);
                float* cTile = cf + ((long)(ic + ir) * ldcf) + j;
                PrefetchTile(cTile, ldcf, mRows, nCols);
                CpuBf16Dot.Run(aPack + ((long)ir * kp), bp, kp, tile);
                if (mRows == mr && nCols == nr)
                {
                    for (int r = 0; r < mr; r++)
                    {
                        float* c = cTile + ((long)r * ldcf), t = tile + (r * nr);
                        for (int v = 0; v < nr; v += 16)
                        {
                            Vector512<float> x = Vector512.Load(t + v);
                            (s.Overwrite ? alpha * x : Vector512.FusedMultiplyAdd(alpha, x, Vector512.Load(c + v))).Store(c + v);
                        }
                    }
                }
                else
                {
                    StoreEdge(tile, nr, cTile, ldcf, p.Alpha, mRows, nCols, s.Overwrite);
                }
            }
        }
    }

    /// <summary>
    /// Whether a decode GEMM runs on the VDPBF16PS decode tiles (<see cref="DecodeDot"/>): BF16 weights stored [N,K] (a
    /// Linear layer's), 4..16 rows, K of at least one 8-k step, the kernels loaded and wanted. One to three rows keep
    /// the runs and dot tiles of the skinny path: there a tile's 16-lane vectors would be mostly padding, and the
    /// kernels measured even at three rows and behind at one (one core, 4096×4096: 19 against 28 GFLOP/s).
    /// </summary>
    private static bool UsesBf16DotDecode(in GemmProblem p, bool wanted) =>
        wanted && p.InType == DType.BF16 && p.TransB && p.M is >= 4 and <= SkinnyRows && p.K >= 8 && CpuBf16Dot.Available;

    /// <summary>
    /// A BF16 decode GEMM (M ≤ 16, B [N,K]) on the VDPBF16PS tiles: B read once, in place; A packed once as 4-row
    /// vectors per 8 k (each 128-bit lane one row's 16 bytes); each 16 bytes of a B row broadcast to the four lanes
    /// and multiplied with 1..4 such vectors (4..16 rows) by pairs, so every B load serves 32 multiply-adds per vector
    /// with no widening. The workers take tiles of 12, 12, 8 or 6 B rows (by 1..4 vectors) in chunks; each tile's lane
    /// sums go through <see cref="QuadSums"/>, the K tail (K mod 8) element by element, and C through <see cref="WriteRow"/>.
    /// </summary>
    private static void DecodeDot(GemmProblem p)
    {
        int m = p.M, n = p.N, k = p.K;
        int vectors = (m + 3) / 4, tileRows = CpuBf16Dot.DecodeTileRows[vectors];
        long steps = k / 8;
        int kv = (int)(steps * 8);
        long packedShorts = steps * vectors * 32;
        ushort* aT = (ushort*)RentCallBuffer(5, (packedShorts + 1) / 2, out bool owned);
        try
        {
            PackADecodeDot(p, vectors, steps, aT);
            int tiles = (n + tileRows - 1) / tileRows;
            CpuParallel.For(tiles, Math.Max(1, 65536 / Math.Max(k, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
            {
                int j0 = (int)(t0 * tileRows), j1 = (int)Math.Min(n, t1 * tileRows), width = j1 - j0;
                float* outs = CpuConvert.ScratchPointer(1, m * width);
                float* raw = stackalloc float[12 * 2 * 16];
                float* sums = stackalloc float[12 * 16];
                nint rowBytes = (nint)(p.LdB * sizeof(ushort));

                // The chunk's rows as tileRows runs side by side: tile i takes rows j0 + i + r·per (r < tileRows), so
                // each of its rows continues where the previous tile's left off and B is read as tileRows long
                // streams rather than as short bursts of adjacent rows; the rows past the last whole run take the
                // short tile. Against adjacent rows (cpu-compare's BF16 decode, alternating processes), one core:
                // 16×4096×4096 222 → 284 GFLOP/s, 16×7168×2048 206–239 → 290–295, 8×7168×2048 138–157 → 176–180,
                // 4×7168×2048 65–84 → 93–97, 4..8 rows at K = 4096 and 7168 even to +12%; two cores +0 to +10%.
                int per = width / tileRows;
                for (int i = 0; i < per; i++)
                {
                    DecodeDotTile(p, vectors, aT, steps, kv, (byte*)p.B + ((j0 + i) * rowBytes), per * rowBytes, tileRows, raw, sums, j0 + i, per);
                    ScatterTileSums(sums, tileRows, m, outs + i, width, per);
                }

                for (int j = j0 + (per * tileRows); j < j1; j += tileRows)
                {
                    int cnt = Math.Min(tileRows, j1 - j);
                    byte* b = (byte*)p.B + ((long)j * rowBytes);
                    nint ld = rowBytes;
                    if (cnt < tileRows)
                    {
                        // A short tile: its rows copied (the vector part of K) with zero rows after them, so the tile
                        // reads no row past B.
                        int ldp = RoundUp(kv, 32) + 32;
                        ushort* pad = (ushort*)CpuConvert.ScratchPointer(0, tileRows * ldp / 2);
                        for (int r = 0; r < tileRows; r++)
                        {
                            Span<ushort> dst = new(pad + ((long)r * ldp), kv);
                            if (r < cnt)
                            {
                                new ReadOnlySpan<ushort>(b + (r * ld), kv).CopyTo(dst);
                            }
                            else
                            {
                                dst.Clear();
                            }
                        }

                        b = (byte*)pad;
                        ld = ldp * sizeof(ushort);
                    }

                    DecodeDotTile(p, vectors, aT, steps, kv, b, ld, cnt, raw, sums, j, 1);
                    ScatterTileSums(sums, cnt, m, outs + (j - j0), width, 1);
                }

                for (int i = 0; i < m; i++)
                {
                    WriteRow(p, i, j0, new Span<float>(outs + (i * width), width));
                }
            }, DecodeChunksPerWorker);
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
    /// One decode tile: the kernel over <paramref name="steps"/> on B rows <paramref name="b"/>, <paramref name="ld"/>
    /// bytes apart, then per row r &lt; cnt the lane sums into sums[r·16 + i] (row i of A), plus the K tail from B's
    /// column <paramref name="col0"/> + r·<paramref name="colStep"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeDotTile(in GemmProblem p, int vectors, ushort* aT, long steps, int kv, byte* b, nint ld, int cnt, float* raw, float* sums, int col0, int colStep)
    {
        CpuBf16Dot.Decode(vectors, aT, b, ld, steps, raw);
        for (int r = 0; r < cnt; r++)
        {
            float* v = raw + (r * vectors * 16);
            Vector512<float> zero = Vector512<float>.Zero;
            QuadSums(
                Vector512.Load(v),
                vectors > 1 ? Vector512.Load(v + 16) : zero,
                vectors > 2 ? Vector512.Load(v + 32) : zero,
                vectors > 3 ? Vector512.Load(v + 48) : zero).Store(sums + (r * 16));
        }

        for (int r = 0; r < cnt && kv < p.K; r++)
        {
            for (int i = 0; i < p.M; i++)
            {
                float t = sums[(r * 16) + i];
                for (int q = kv; q < p.K; q++)
                {
                    t = MathF.FusedMultiplyAdd(p.LoadA(i, q), p.LoadB(q, col0 + (r * colStep)), t);
                }

                sums[(r * 16) + i] = t;
            }
        }
    }

    /// <summary>
    /// A (BF16) packed for the decode tiles: per step s of 8 k, <paramref name="vectors"/> × 32 values, row i's
    /// A[i, 8s..8s+7] at s·vectors·32 + 8i (rows from M on zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackADecodeDot(in GemmProblem p, int vectors, long steps, ushort* aT)
    {
        int m = p.M, rows = 4 * vectors;
        ushort* a = (ushort*)p.A;
        for (long s = 0; s < steps; s++)
        {
            ushort* dst = aT + (s * rows * 8);
            for (int i = 0; i < rows; i++)
            {
                if (i >= m)
                {
                    Vector128<ushort>.Zero.Store(dst + (i * 8));
                }
                else if (!p.TransA)
                {
                    Vector128.Load(a + (i * p.LdA) + (8 * s)).Store(dst + (i * 8));
                }
                else
                {
                    for (int t = 0; t < 8; t++)
                    {
                        dst[(i * 8) + t] = a[(((8 * s) + t) * p.LdA) + i];
                    }
                }
            }
        }
    }
}
