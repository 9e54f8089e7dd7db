using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <content>The register-blocked micro-kernel.</content>
internal static unsafe partial class CpuGemm
{
    /// <summary>
    /// C[0..mRows, 0..nCols] += alpha · Apanel·Bpanel over kc (or = when <paramref name="overwrite"/>: the first K slab
    /// of a beta = 0 problem, so C is neither cleared beforehand nor read), with 12 vector accumulators (6 rows × 2 vectors).
    /// Full tiles update C directly; edge tiles go through a small buffer so nothing outside C is touched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro<TOps, TVec>(int kc, float* a, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        PrefetchTile(c, ldc, mRows, 2 * w);

        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        for (int p = 0; p < kc; p++)
        {
            PrefetchBPanel(b, 2 * w);

            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TVec a0 = TOps.Broadcast(a[0]);
            c00 = TOps.MulAdd(a0, b0, c00);
            c01 = TOps.MulAdd(a0, b1, c01);
            a0 = TOps.Broadcast(a[1]);
            c10 = TOps.MulAdd(a0, b0, c10);
            c11 = TOps.MulAdd(a0, b1, c11);
            a0 = TOps.Broadcast(a[2]);
            c20 = TOps.MulAdd(a0, b0, c20);
            c21 = TOps.MulAdd(a0, b1, c21);
            a0 = TOps.Broadcast(a[3]);
            c30 = TOps.MulAdd(a0, b0, c30);
            c31 = TOps.MulAdd(a0, b1, c31);
            a0 = TOps.Broadcast(a[4]);
            c40 = TOps.MulAdd(a0, b0, c40);
            c41 = TOps.MulAdd(a0, b1, c41);
            a0 = TOps.Broadcast(a[5]);
            c50 = TOps.MulAdd(a0, b0, c50);
            c51 = TOps.MulAdd(a0, b1, c51);
            a += 6;
            b += 2 * w;
        }

        TVec al = TOps.Broadcast(alpha);
        if (mRows == 6 && nCols == 2 * w)
        {
            Update<TOps, TVec>(c, w, al, c00, c01, overwrite);
            Update<TOps, TVec>(c + ldc, w, al, c10, c11, overwrite);
            Update<TOps, TVec>(c + (2 * ldc), w, al, c20, c21, overwrite);
            Update<TOps, TVec>(c + (3 * ldc), w, al, c30, c31, overwrite);
            Update<TOps, TVec>(c + (4 * ldc), w, al, c40, c41, overwrite);
            Update<TOps, TVec>(c + (5 * ldc), w, al, c50, c51, overwrite);
            return;
        }

        int tw = 2 * w;
        float* tile = stackalloc float[6 * 2 * 16];
        TOps.Store(tile, c00);
        TOps.Store(tile + w, c01);
        TOps.Store(tile + tw, c10);
        TOps.Store(tile + tw + w, c11);
        TOps.Store(tile + (2 * tw), c20);
        TOps.Store(tile + (2 * tw) + w, c21);
        TOps.Store(tile + (3 * tw), c30);
        TOps.Store(tile + (3 * tw) + w, c31);
        TOps.Store(tile + (4 * tw), c40);
        TOps.Store(tile + (4 * tw) + w, c41);
        TOps.Store(tile + (5 * tw), c50);
        TOps.Store(tile + (5 * tw) + w, c51);
        StoreEdge(tile, tw, c, ldc, alpha, mRows, nCols, overwrite);
    }

    /// <summary>
    /// Floats of the packed B panel ahead of the micro-kernels' reads that each K step fetches into L1 (the lines of
    /// the vectors a step consumes). A KC × NR panel (192 KiB at KC = 1024 with the 8 × 48 kernel, 64 KiB with 256-bit
    /// vectors) does not fit L1, so every step reads it from L2, and on an Intel Xeon (Ice Lake, 2 cores) the hardware
    /// prefetchers alone left the FMAs waiting. A/B in one process, one core, 12 × 32 kernel: 512³ 134.5 → 140.7
    /// GFLOP/s, 1000³ 132.0 → 140.7, 1024³ 132.4 → 140.5, 2048³ 137.7 → 144.6, 4096³ 133.4 → 144.8, 512×2048×7168
    /// 128.9 → 136.8; two cores (noisier) 2048³ 228 → 241, 4096³ 262 → 278. With AVX-512 off (6 × 16 kernel, 256-bit):
    /// 1000³ 68 → 77, 1024³ 64 → 79, 2048³ 73 → 79–82, 512×2048×7168 54 → 72 (noisy hour). 0.5–4 KiB ahead measured
    /// within 2% of each other; KC = 256 (the panel in L1) without the fetch reached 140 at 2048³.
    /// </summary>
    private const int BPanelPrefetch = 512;

    /// <summary>
    /// Fetches into L1 the lines of the <paramref name="floats"/> a step consumes, <see cref="BPanelPrefetch"/> floats
    /// past <paramref name="b"/> (up to three lines with the 8 × 48 kernel, one with 256-bit vectors; no-op off x86).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchBPanel(float* b, int floats) => CpuFused.FetchLines(b + BPanelPrefetch, floats);

    /// <summary>An edge tile's rows and columns that lie inside C, from the tile buffer (rows tw apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge(float* tile, int tw, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
    {
        for (int r = 0; r < mRows; r++)
        {
            for (int j = 0; j < nCols; j++)
            {
                float v = alpha * tile[(r * tw) + j];
                c[((long)r * ldc) + j] = overwrite ? v : c[((long)r * ldc) + j] + v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TOps, TVec>(float* c, int w, TVec alpha, TVec v0, TVec v1, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        if (overwrite)
        {
            TOps.Store(c, TOps.Multiply(alpha, v0));
            TOps.Store(c + w, TOps.Multiply(alpha, v1));
            return;
        }

        TOps.Store(c, TOps.MulAdd(alpha, v0, TOps.Load(c)));
        TOps.Store(c + w, TOps.MulAdd(alpha, v1, TOps.Load(c + w)));
    }
}
