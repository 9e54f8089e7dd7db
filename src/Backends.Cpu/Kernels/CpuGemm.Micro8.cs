using System;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <content>The 8-row × 3-vector micro-kernel.</content>
internal static unsafe partial class CpuGemm
{
    /// <summary>The 8-row kernel on A rows read in place (<paramref name="rows"/> not null, <paramref name="ldRows"/> bytes apart) or on a packed panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro8Any<TOps, TVec, TW>(int kc, float* aPanel, byte* rows, nint ldRows, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, IPanelWidth
    {
        if (rows != null)
        {
            Micro8Rows<TOps, TVec, TW>(kc, rows, ldRows, b, c, ldc, alpha, mRows, nCols, overwrite);
        }
        else
        {
            Micro8<TOps, TVec, TW>(kc, aPanel, b, c, ldc, alpha, mRows, nCols, overwrite);
        }
    }

    /// <summary>
    /// The 512-bit micro-kernel: 8 rows × 3 vectors (24 accumulators), A packed in 8-row panels and B in 3-vector
    /// panels. Same contract as <see cref="Micro{TOps, TVec}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro8<TOps, TVec, TW>(int kc, float* a, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, IPanelWidth
    {
        int w = TOps.Count, v = TW.Vectors;
        PrefetchTile(c, ldc, mRows, v * w);

        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c62 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c72 = TOps.Zero;
        for (int p = 0; p < kc; p++)
        {
            PrefetchBPanel(b, v * w);

            TVec b0 = TOps.Load(b), b1 = TW.Vectors > 1 ? TOps.Load(b + w) : b0, b2 = TW.Vectors > 2 ? TOps.Load(b + (2 * w)) : b0;
            TVec a0;
            a0 = TOps.Broadcast(a[0]);
            c00 = TOps.MulAdd(a0, b0, c00);
            if (TW.Vectors > 1)
            {
                c01 = TOps.MulAdd(a0, b1, c01);
            }

            if (TW.Vectors > 2)
            {
                c02 = TOps.MulAdd(a0, b2, c02);
            }

            a0 = TOps.Broadcast(a[1]);
            c10 = TOps.MulAdd(a0, b0, c10);
            if (TW.Vectors > 1)
            {
                c11 = TOps.MulAdd(a0, b1, c11);
            }

            if (TW.Vectors > 2)
            {
                c12 = TOps.MulAdd(a0, b2, c12);
            }

            a0 = TOps.Broadcast(a[2]);
            c20 = TOps.MulAdd(a0, b0, c20);
            if (TW.Vectors > 1)
            {
                c21 = TOps.MulAdd(a0, b1, c21);
            }

            if (TW.Vectors > 2)
            {
                c22 = TOps.MulAdd(a0, b2, c22);
            }

            a0 = TOps.Broadcast(a[3]);
            c30 = TOps.MulAdd(a0, b0, c30);
            if (TW.Vectors > 1)
            {
                c31 = TOps.MulAdd(a0, b1, c31);
            }

            if (TW.Vectors > 2)
            {
                c32 = TOps.MulAdd(a0, b2, c32);
            }

            a0 = TOps.Broadcast(a[4]);
            c40 = TOps.MulAdd(a0, b0, c40);
            if (TW.Vectors > 1)
            {
                c41 = TOps.MulAdd(a0, b1, c41);
            }

            if (TW.Vectors > 2)
            {
                c42 = TOps.MulAdd(a0, b2, c42);
            }

            a0 = TOps.Broadcast(a[5]);
            c50 = TOps.MulAdd(a0, b0, c50);
            if (TW.Vectors > 1)
            {
                c51 = TOps.MulAdd(a0, b1, c51);
            }

            if (TW.Vectors > 2)
            {
                c52 = TOps.MulAdd(a0, b2, c52);
            }

            a0 = TOps.Broadcast(a[6]);
            c60 = TOps.MulAdd(a0, b0, c60);
            if (TW.Vectors > 1)
            {
                c61 = TOps.MulAdd(a0, b1, c61);
            }

            if (TW.Vectors > 2)
            {
                c62 = TOps.MulAdd(a0, b2, c62);
            }

            a0 = TOps.Broadcast(a[7]);
            c70 = TOps.MulAdd(a0, b0, c70);
            if (TW.Vectors > 1)
            {
                c71 = TOps.MulAdd(a0, b1, c71);
            }

            if (TW.Vectors > 2)
            {
                c72 = TOps.MulAdd(a0, b2, c72);
            }

            a += 8;
            b += 3 * w; // panels are three vectors wide; the last one of C's columns may use fewer
        }

        Store8<TOps, TVec, TW>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32,
            c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72);
    }

    /// <summary>
    /// <see cref="Micro8{TOps, TVec, TW}"/> with A read from 8 rows of F32 (<paramref name="lda"/> bytes apart, each starting
    /// at the slab's first k) instead of a packed panel: each step broadcasts A[r, k] straight from row r (no transpose of
    /// A). All 8 rows must be readable for kc floats (rows past <paramref name="mRows"/> are zero rows of a copy); only
    /// mRows rows and nCols columns of C are written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro8Rows<TOps, TVec, TW>(int kc, byte* a, nint lda, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, IPanelWidth
    {
        int w = TOps.Count, v = TW.Vectors;
        PrefetchTile(c, ldc, mRows, v * w);

        // Rows from three base pointers three rows apart and one stride register, so each broadcast is one load.
        byte* p0 = a, p3 = a + (3 * lda), p6 = a + (6 * lda);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c62 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c72 = TOps.Zero;
        for (int q = 0; q < kc; q++)
        {
            PrefetchBPanel(b, v * w);

            TVec b0 = TOps.Load(b), b1 = TW.Vectors > 1 ? TOps.Load(b + w) : b0, b2 = TW.Vectors > 2 ? TOps.Load(b + (2 * w)) : b0;
            TVec a0;
            a0 = TOps.Broadcast(*(float*)p0);
            c00 = TOps.MulAdd(a0, b0, c00);
            if (TW.Vectors > 1)
            {
                c01 = TOps.MulAdd(a0, b1, c01);
            }

            if (TW.Vectors > 2)
            {
                c02 = TOps.MulAdd(a0, b2, c02);
            }

            a0 = TOps.Broadcast(*(float*)(p0 + lda));
            c10 = TOps.MulAdd(a0, b0, c10);
            if (TW.Vectors > 1)
            {
                c11 = TOps.MulAdd(a0, b1, c11);
            }

            if (TW.Vectors > 2)
            {
                c12 = TOps.MulAdd(a0, b2, c12);
            }

            a0 = TOps.Broadcast(*(float*)(p0 + (lda << 1)));
            c20 = TOps.MulAdd(a0, b0, c20);
            if (TW.Vectors > 1)
            {
                c21 = TOps.MulAdd(a0, b1, c21);
            }

            if (TW.Vectors > 2)
            {
                c22 = TOps.MulAdd(a0, b2, c22);
            }

            a0 = TOps.Broadcast(*(float*)p3);
            c30 = TOps.MulAdd(a0, b0, c30);
            if (TW.Vectors > 1)
            {
                c31 = TOps.MulAdd(a0, b1, c31);
            }

            if (TW.Vectors > 2)
            {
                c32 = TOps.MulAdd(a0, b2, c32);
            }

            a0 = TOps.Broadcast(*(float*)(p3 + lda));
            c40 = TOps.MulAdd(a0, b0, c40);
            if (TW.Vectors > 1)
            {
                c41 = TOps.MulAdd(a0, b1, c41);
            }

            if (TW.Vectors > 2)
            {
                c42 = TOps.MulAdd(a0, b2, c42);
            }

            a0 = TOps.Broadcast(*(float*)(p3 + (lda << 1)));
            c50 = TOps.MulAdd(a0, b0, c50);
            if (TW.Vectors > 1)
            {
                c51 = TOps.MulAdd(a0, b1, c51);
            }

            if (TW.Vectors > 2)
            {
                c52 = TOps.MulAdd(a0, b2, c52);
            }

            a0 = TOps.Broadcast(*(float*)p6);
            c60 = TOps.MulAdd(a0, b0, c60);
            if (TW.Vectors > 1)
            {
                c61 = TOps.MulAdd(a0, b1, c61);
            }

            if (TW.Vectors > 2)
            {
                c62 = TOps.MulAdd(a0, b2, c62);
            }

            a0 = TOps.Broadcast(*(float*)(p6 + lda));
            c70 = TOps.MulAdd(a0, b0, c70);
            if (TW.Vectors > 1)
            {
                c71 = TOps.MulAdd(a0, b1, c71);
            }

            if (TW.Vectors > 2)
            {
                c72 = TOps.MulAdd(a0, b2, c72);
            }

            b += 3 * w; // panels are three vectors wide; the last one of C's columns may use fewer
            p0 += sizeof(float);
            p3 += sizeof(float);
            p6 += sizeof(float);
        }

        Store8<TOps, TVec, TW>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32,
            c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72);
    }

    /// <summary>The 8 × 3-vector accumulator tile into C: full tiles directly, edge tiles through a small buffer (only mRows × nCols written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8<TOps, TVec, TW>(
        float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite,
        TVec c00, TVec c01, TVec c02, TVec c10, TVec c11, TVec c12, TVec c20, TVec c21, TVec c22, TVec c30, TVec c31, TVec c32,
        TVec c40, TVec c41, TVec c42, TVec c50, TVec c51, TVec c52, TVec c60, TVec c61, TVec c62, TVec c70, TVec c71, TVec c72)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, IPanelWidth
    {
        int w = TOps.Count, v = TW.Vectors;
        TVec al = TOps.Broadcast(alpha);
        if (mRows == 8 && nCols == v * w)
        {
            Update3<TOps, TVec, TW>(c, w, al, c00, c01, c02, overwrite);
            Update3<TOps, TVec, TW>(c + ldc, w, al, c10, c11, c12, overwrite);
            Update3<TOps, TVec, TW>(c + (2 * ldc), w, al, c20, c21, c22, overwrite);
            Update3<TOps, TVec, TW>(c + (3 * ldc), w, al, c30, c31, c32, overwrite);
            Update3<TOps, TVec, TW>(c + (4 * ldc), w, al, c40, c41, c42, overwrite);
            Update3<TOps, TVec, TW>(c + (5 * ldc), w, al, c50, c51, c52, overwrite);
            Update3<TOps, TVec, TW>(c + (6 * ldc), w, al, c60, c61, c62, overwrite);
            Update3<TOps, TVec, TW>(c + (7 * ldc), w, al, c70, c71, c72, overwrite);
            return;
        }

        Store8Edge<TOps, TVec>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32,
            c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72);
    }

    /// <summary>An edge tile of <see cref="Store8{TOps, TVec, TW}"/>: through a buffer, only the rows and columns inside C written.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Store8Edge<TOps, TVec>(
        float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite,
        TVec c00, TVec c01, TVec c02, TVec c10, TVec c11, TVec c12, TVec c20, TVec c21, TVec c22, TVec c30, TVec c31, TVec c32,
        TVec c40, TVec c41, TVec c42, TVec c50, TVec c51, TVec c52, TVec c60, TVec c61, TVec c62, TVec c70, TVec c71, TVec c72)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count, tw = 3 * w;
        float* tile = stackalloc float[8 * 3 * 16];
        TOps.Store(tile, c00);
        TOps.Store(tile + w, c01);
        TOps.Store(tile + (2 * w), c02);
        TOps.Store(tile + tw, c10);
        TOps.Store(tile + tw + w, c11);
        TOps.Store(tile + tw + (2 * w), c12);
        TOps.Store(tile + (2 * tw), c20);
        TOps.Store(tile + (2 * tw) + w, c21);
        TOps.Store(tile + (2 * tw) + (2 * w), c22);
        TOps.Store(tile + (3 * tw), c30);
        TOps.Store(tile + (3 * tw) + w, c31);
        TOps.Store(tile + (3 * tw) + (2 * w), c32);
        TOps.Store(tile + (4 * tw), c40);
        TOps.Store(tile + (4 * tw) + w, c41);
        TOps.Store(tile + (4 * tw) + (2 * w), c42);
        TOps.Store(tile + (5 * tw), c50);
        TOps.Store(tile + (5 * tw) + w, c51);
        TOps.Store(tile + (5 * tw) + (2 * w), c52);
        TOps.Store(tile + (6 * tw), c60);
        TOps.Store(tile + (6 * tw) + w, c61);
        TOps.Store(tile + (6 * tw) + (2 * w), c62);
        TOps.Store(tile + (7 * tw), c70);
        TOps.Store(tile + (7 * tw) + w, c71);
        TOps.Store(tile + (7 * tw) + (2 * w), c72);
        StoreEdge(tile, tw, c, ldc, alpha, mRows, nCols, overwrite);
    }

    /// <summary>
    /// Starts fetching the C tile (rows × <paramref name="floats"/>, every cache line it spans) that a micro-kernel reads
    /// and writes once its K loop ends (an edge tile may fetch a line past its columns, which is harmless; no-op off x86).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc, int rows, int floats)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            for (int r = 0; r < rows; r++)
            {
                float* row = c + ((long)r * ldc);
                for (int f = 0; f < floats; f += 16)
                {
                    System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + f);
                }

                System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + floats - 1);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update3<TOps, TVec, TW>(float* c, int w, TVec alpha, TVec v0, TVec v1, TVec v2, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, IPanelWidth
    {
        if (overwrite)
        {
            TOps.Store(c, TOps.Multiply(alpha, v0));
            if (TW.Vectors > 1)
            {
                TOps.Store(c + w, TOps.Multiply(alpha, v1));
            }

            if (TW.Vectors > 2)
            {
                TOps.Store(c + (2 * w), TOps.Multiply(alpha, v2));
            }

            return;
        }

        TOps.Store(c, TOps.MulAdd(alpha, v0, TOps.Load(c)));
        if (TW.Vectors > 1)
        {
            TOps.Store(c + w, TOps.MulAdd(alpha, v1, TOps.Load(c + w)));
        }

        if (TW.Vectors > 2)
        {
            TOps.Store(c + (2 * w), TOps.MulAdd(alpha, v2, TOps.Load(c + (2 * w))));
        }
    }

    /// <summary>Vectors of a B panel the 8-row micro-kernel uses: three (a whole panel), or two or one for the last panel of C's columns.</summary>
    private interface IPanelWidth
    {
        static abstract int Vectors { get; }
    }

    private readonly struct OneVector : IPanelWidth
    {
        public static int Vectors => 1;
    }

    private readonly struct TwoVectors : IPanelWidth
    {
        public static int Vectors => 2;
    }

    private readonly struct ThreeVectors : IPanelWidth
    {
        public static int Vectors => 3;
    }
}
