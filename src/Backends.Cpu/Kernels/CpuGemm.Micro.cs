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
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            // The C tile is read and written once the K loop ends: start fetching its rows now (the last cache line of
            // each row too; an edge tile may fetch a line past its columns, which is harmless).
            for (int r = 0; r < mRows; r++)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + ((long)r * ldc));
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + ((long)r * ldc) + (2 * w) - 1);
            }
        }

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
    /// The 512-bit micro-kernel: 12 rows × 2 vectors (24 accumulators of the 32 registers), so each B vector loaded
    /// serves twelve FMAs. Same contract as <see cref="Micro{TOps, TVec}"/> with 12-row A panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro12<TOps, TVec>(int kc, float* a, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            for (int r = 0; r < mRows; r++)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + ((long)r * ldc));
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + ((long)r * ldc) + (2 * w) - 1);
            }
        }

        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c80 = TOps.Zero, c81 = TOps.Zero;
        TVec c90 = TOps.Zero, c91 = TOps.Zero, c100 = TOps.Zero, c101 = TOps.Zero, c110 = TOps.Zero, c111 = TOps.Zero;
        for (int p = 0; p < kc; p++)
        {
            PrefetchBPanel(b, 2 * w);

            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TVec a0;
            a0 = TOps.Broadcast(a[0]);
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
            a0 = TOps.Broadcast(a[6]);
            c60 = TOps.MulAdd(a0, b0, c60);
            c61 = TOps.MulAdd(a0, b1, c61);
            a0 = TOps.Broadcast(a[7]);
            c70 = TOps.MulAdd(a0, b0, c70);
            c71 = TOps.MulAdd(a0, b1, c71);
            a0 = TOps.Broadcast(a[8]);
            c80 = TOps.MulAdd(a0, b0, c80);
            c81 = TOps.MulAdd(a0, b1, c81);
            a0 = TOps.Broadcast(a[9]);
            c90 = TOps.MulAdd(a0, b0, c90);
            c91 = TOps.MulAdd(a0, b1, c91);
            a0 = TOps.Broadcast(a[10]);
            c100 = TOps.MulAdd(a0, b0, c100);
            c101 = TOps.MulAdd(a0, b1, c101);
            a0 = TOps.Broadcast(a[11]);
            c110 = TOps.MulAdd(a0, b0, c110);
            c111 = TOps.MulAdd(a0, b1, c111);
            a += 12;
            b += 2 * w;
        }

        Store12<TOps, TVec>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
            c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111);
    }

    /// <summary>
    /// Floats of the packed B panel ahead of the micro-kernels' reads that each K step fetches into L1 (the lines of
    /// the 2 vectors a step consumes). A KC × NR panel (128 KiB at KC = 1024 with 512-bit vectors, 64 KiB with 256-bit)
    /// does not fit L1, so every step reads it from L2, and on an Intel Xeon (Ice Lake, 2 cores) the hardware
    /// prefetchers alone left the FMAs waiting. A/B in one process, one core, 12 × 32 kernel: 512³ 134.5 → 140.7
    /// GFLOP/s, 1000³ 132.0 → 140.7, 1024³ 132.4 → 140.5, 2048³ 137.7 → 144.6, 4096³ 133.4 → 144.8, 512×2048×7168
    /// 128.9 → 136.8; two cores (noisier) 2048³ 228 → 241, 4096³ 262 → 278. With AVX-512 off (6 × 16 kernel, 256-bit):
    /// 1000³ 68 → 77, 1024³ 64 → 79, 2048³ 73 → 79–82, 512×2048×7168 54 → 72 (noisy hour). 0.5–4 KiB ahead measured
    /// within 2% of each other; KC = 256 (the panel in L1) without the fetch reached 140 at 2048³.
    /// </summary>
    private const int BPanelPrefetch = 512;

    /// <summary>
    /// Fetches into L1 the lines of the <paramref name="floats"/> a step consumes, <see cref="BPanelPrefetch"/> floats
    /// past <paramref name="b"/> (two lines with 512-bit vectors, one with 256-bit; no-op off x86).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchBPanel(float* b, int floats) => CpuFused.FetchLines(b + BPanelPrefetch, floats);

    /// <summary>The 12 × 2-vector accumulator tile into C: full tiles directly, edge tiles through a small buffer (only mRows × nCols written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store12<TOps, TVec>(
        float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite,
        TVec c00, TVec c01, TVec c10, TVec c11, TVec c20, TVec c21, TVec c30, TVec c31, TVec c40, TVec c41, TVec c50, TVec c51,
        TVec c60, TVec c61, TVec c70, TVec c71, TVec c80, TVec c81, TVec c90, TVec c91, TVec c100, TVec c101, TVec c110, TVec c111)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        TVec al = TOps.Broadcast(alpha);
        if (mRows == 12 && nCols == 2 * w)
        {
            Update<TOps, TVec>(c, w, al, c00, c01, overwrite);
            Update<TOps, TVec>(c + ldc, w, al, c10, c11, overwrite);
            Update<TOps, TVec>(c + (2 * ldc), w, al, c20, c21, overwrite);
            Update<TOps, TVec>(c + (3 * ldc), w, al, c30, c31, overwrite);
            Update<TOps, TVec>(c + (4 * ldc), w, al, c40, c41, overwrite);
            Update<TOps, TVec>(c + (5 * ldc), w, al, c50, c51, overwrite);
            Update<TOps, TVec>(c + (6 * ldc), w, al, c60, c61, overwrite);
            Update<TOps, TVec>(c + (7 * ldc), w, al, c70, c71, overwrite);
            Update<TOps, TVec>(c + (8 * ldc), w, al, c80, c81, overwrite);
            Update<TOps, TVec>(c + (9 * ldc), w, al, c90, c91, overwrite);
            Update<TOps, TVec>(c + (10 * ldc), w, al, c100, c101, overwrite);
            Update<TOps, TVec>(c + (11 * ldc), w, al, c110, c111, overwrite);
            return;
        }

        Store12Edge<TOps, TVec>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
            c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111);
    }

    /// <summary>An edge tile of <see cref="Store12{TOps, TVec}"/>: through a small buffer, so only mRows × nCols of C are written (out of line: it needs stack space).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Store12Edge<TOps, TVec>(
        float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite,
        TVec c00, TVec c01, TVec c10, TVec c11, TVec c20, TVec c21, TVec c30, TVec c31, TVec c40, TVec c41, TVec c50, TVec c51,
        TVec c60, TVec c61, TVec c70, TVec c71, TVec c80, TVec c81, TVec c90, TVec c91, TVec c100, TVec c101, TVec c110, TVec c111)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count, tw = 2 * w;
        float* tile = stackalloc float[12 * 2 * 16];
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
        TOps.Store(tile + (6 * tw), c60);
        TOps.Store(tile + (6 * tw) + w, c61);
        TOps.Store(tile + (7 * tw), c70);
        TOps.Store(tile + (7 * tw) + w, c71);
        TOps.Store(tile + (8 * tw), c80);
        TOps.Store(tile + (8 * tw) + w, c81);
        TOps.Store(tile + (9 * tw), c90);
        TOps.Store(tile + (9 * tw) + w, c91);
        TOps.Store(tile + (10 * tw), c100);
        TOps.Store(tile + (10 * tw) + w, c101);
        TOps.Store(tile + (11 * tw), c110);
        TOps.Store(tile + (11 * tw) + w, c111);
        StoreEdge(tile, tw, c, ldc, alpha, mRows, nCols, overwrite);
    }

    /// <summary>
    /// The 512-bit micro-kernel with A read from 12 rows of F32 (<paramref name="lda"/> bytes apart, each starting at
    /// the slab's first k) instead of a packed panel: each step broadcasts A[r, k] straight from row r. Packing A is a
    /// transpose that cost about a cycle per element; rows read in place (or copied plainly, see BlockedPart) skip it.
    /// All 12 rows must be readable for kc floats (rows past <paramref name="mRows"/> are zero rows of a copy); only
    /// mRows rows and nCols columns of C are written. Same contract as <see cref="Micro12{TOps, TVec}"/> otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro12Rows<TOps, TVec>(int kc, byte* a, nint lda, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            for (int r = 0; r < mRows; r++)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + ((long)r * ldc));
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(c + ((long)r * ldc) + (2 * w) - 1);
            }
        }

        // Rows from four base pointers three rows apart and one stride register, so each broadcast is one load.
        byte* p0 = a, p3 = a + (3 * lda), p6 = a + (6 * lda), p9 = a + (9 * lda);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c80 = TOps.Zero, c81 = TOps.Zero;
        TVec c90 = TOps.Zero, c91 = TOps.Zero, c100 = TOps.Zero, c101 = TOps.Zero, c110 = TOps.Zero, c111 = TOps.Zero;
        for (int q = 0; q < kc; q++)
        {
            PrefetchBPanel(b, 2 * w);

            TVec b0 = TOps.Load(b), b1 = TOps.Load(b + w);
            TVec a0;
            a0 = TOps.Broadcast(*(float*)p0);
            c00 = TOps.MulAdd(a0, b0, c00);
            c01 = TOps.MulAdd(a0, b1, c01);
            a0 = TOps.Broadcast(*(float*)(p0 + lda));
            c10 = TOps.MulAdd(a0, b0, c10);
            c11 = TOps.MulAdd(a0, b1, c11);
            a0 = TOps.Broadcast(*(float*)(p0 + (lda << 1)));
            c20 = TOps.MulAdd(a0, b0, c20);
            c21 = TOps.MulAdd(a0, b1, c21);
            a0 = TOps.Broadcast(*(float*)p3);
            c30 = TOps.MulAdd(a0, b0, c30);
            c31 = TOps.MulAdd(a0, b1, c31);
            a0 = TOps.Broadcast(*(float*)(p3 + lda));
            c40 = TOps.MulAdd(a0, b0, c40);
            c41 = TOps.MulAdd(a0, b1, c41);
            a0 = TOps.Broadcast(*(float*)(p3 + (lda << 1)));
            c50 = TOps.MulAdd(a0, b0, c50);
            c51 = TOps.MulAdd(a0, b1, c51);
            a0 = TOps.Broadcast(*(float*)p6);
            c60 = TOps.MulAdd(a0, b0, c60);
            c61 = TOps.MulAdd(a0, b1, c61);
            a0 = TOps.Broadcast(*(float*)(p6 + lda));
            c70 = TOps.MulAdd(a0, b0, c70);
            c71 = TOps.MulAdd(a0, b1, c71);
            a0 = TOps.Broadcast(*(float*)(p6 + (lda << 1)));
            c80 = TOps.MulAdd(a0, b0, c80);
            c81 = TOps.MulAdd(a0, b1, c81);
            a0 = TOps.Broadcast(*(float*)p9);
            c90 = TOps.MulAdd(a0, b0, c90);
            c91 = TOps.MulAdd(a0, b1, c91);
            a0 = TOps.Broadcast(*(float*)(p9 + lda));
            c100 = TOps.MulAdd(a0, b0, c100);
            c101 = TOps.MulAdd(a0, b1, c101);
            a0 = TOps.Broadcast(*(float*)(p9 + (lda << 1)));
            c110 = TOps.MulAdd(a0, b0, c110);
            c111 = TOps.MulAdd(a0, b1, c111);
            b += 2 * w;
            p0 += sizeof(float);
            p3 += sizeof(float);
            p6 += sizeof(float);
            p9 += sizeof(float);
        }

        Store12<TOps, TVec>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
            c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111);
    }

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
