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
        where TW : struct, ICount
    {
        if (rows != null)
        {
            Micro8<TOps, TVec, TW, RowsOfA8>(kc, new RowsOfA8(rows, ldRows), b, c, ldc, alpha, mRows, nCols, overwrite);
        }
        else
        {
            Micro8<TOps, TVec, TW, PanelOfA8>(kc, new PanelOfA8(aPanel), b, c, ldc, alpha, mRows, nCols, overwrite);
        }
    }

    /// <summary>
    /// The 512-bit micro-kernel: 8 rows × 3 vectors (24 accumulators), B packed in 3-vector panels (of which the last
    /// panel of C's columns may use one or two, <typeparamref name="TW"/>), A from a packed 8-row panel or read in place
    /// from 8 rows (<typeparamref name="TA"/>). Each broadcast of A serves three FMAs: eight broadcasts and three loads
    /// of B per 24 FMAs (the 12 × 2-vector kernel before it issued twelve and two, and ran at 86–89% of the FMA peak on
    /// an Ice Lake Xeon where this one reaches 97–100%). Same contract as <see cref="Micro{TOps, TVec}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro8<TOps, TVec, TW, TA>(int kc, TA a, float* b, float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, ICount
        where TA : struct, IRowsOfA
    {
        int w = TOps.Count, v = TW.Value;
        PrefetchTile(c, ldc, mRows, v * w);

        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c62 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero, c72 = TOps.Zero;
        for (int p = 0; p < kc; p++)
        {
            PrefetchBPanel(b, v * w);

            TVec b0 = TOps.Load(b), b1 = TW.Value > 1 ? TOps.Load(b + w) : b0, b2 = TW.Value > 2 ? TOps.Load(b + (2 * w)) : b0;
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(0)), b0, b1, b2, ref c00, ref c01, ref c02);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(1)), b0, b1, b2, ref c10, ref c11, ref c12);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(2)), b0, b1, b2, ref c20, ref c21, ref c22);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(3)), b0, b1, b2, ref c30, ref c31, ref c32);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(4)), b0, b1, b2, ref c40, ref c41, ref c42);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(5)), b0, b1, b2, ref c50, ref c51, ref c52);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(6)), b0, b1, b2, ref c60, ref c61, ref c62);
            Fma3<TOps, TVec, TW>(TOps.Broadcast(a.At(7)), b0, b1, b2, ref c70, ref c71, ref c72);
            a.Next();
            b += 3 * w; // panels are three vectors wide; the last one of C's columns may use fewer
        }

        Store8<TOps, TVec, TW>(
            c, ldc, alpha, mRows, nCols, overwrite,
            c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32,
            c40, c41, c42, c50, c51, c52, c60, c61, c62, c70, c71, c72);
    }

    /// <summary>c_j += a·b_j for the <typeparamref name="TW"/> vectors of a B panel in use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fma3<TOps, TVec, TW>(TVec a, TVec b0, TVec b1, TVec b2, ref TVec c0, ref TVec c1, ref TVec c2)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, ICount
    {
        c0 = TOps.MulAdd(a, b0, c0);
        if (TW.Value > 1)
        {
            c1 = TOps.MulAdd(a, b1, c1);
        }

        if (TW.Value > 2)
        {
            c2 = TOps.MulAdd(a, b2, c2);
        }
    }

    /// <summary>Where the 8-row micro-kernel reads A[r, k] for its rows r at the current k.</summary>
    private interface IRowsOfA
    {
        /// <summary>A[r, k] for row r of the panel at the current k.</summary>
        float At(int r);

        /// <summary>Moves to the next k.</summary>
        void Next();
    }

    /// <summary>A packed 8-row panel: aPanel[k][8].</summary>
    private struct PanelOfA8(float* a) : IRowsOfA
    {
        private float* a = a;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly float At(int r) => a[r];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Next() => a += 8;
    }

    /// <summary>
    /// 8 rows of F32 A read in place, <c>lda</c> bytes apart, from three base pointers three rows apart and one stride
    /// (so each broadcast is one load with its address in the instruction).
    /// </summary>
    private struct RowsOfA8(byte* a, nint lda) : IRowsOfA
    {
        private readonly nint lda = lda;
        private byte* p0 = a, p3 = a + (3 * lda), p6 = a + (6 * lda);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly float At(int r) => r switch
        {
            0 => *(float*)p0,
            1 => *(float*)(p0 + lda),
            2 => *(float*)(p0 + (lda << 1)),
            3 => *(float*)p3,
            4 => *(float*)(p3 + lda),
            5 => *(float*)(p3 + (lda << 1)),
            6 => *(float*)p6,
            _ => *(float*)(p6 + lda),
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Next()
        {
            p0 += sizeof(float);
            p3 += sizeof(float);
            p6 += sizeof(float);
        }
    }

    /// <summary>The 8 × 3-vector accumulator tile into C: full tiles directly, edge tiles through a small buffer (only mRows × nCols written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8<TOps, TVec, TW>(
        float* c, int ldc, float alpha, int mRows, int nCols, bool overwrite,
        TVec c00, TVec c01, TVec c02, TVec c10, TVec c11, TVec c12, TVec c20, TVec c21, TVec c22, TVec c30, TVec c31, TVec c32,
        TVec c40, TVec c41, TVec c42, TVec c50, TVec c51, TVec c52, TVec c60, TVec c61, TVec c62, TVec c70, TVec c71, TVec c72)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TW : struct, ICount
    {
        int w = TOps.Count, v = TW.Value;
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
        where TW : struct, ICount
    {
        if (overwrite)
        {
            TOps.Store(c, TOps.Multiply(alpha, v0));
            if (TW.Value > 1)
            {
                TOps.Store(c + w, TOps.Multiply(alpha, v1));
            }

            if (TW.Value > 2)
            {
                TOps.Store(c + (2 * w), TOps.Multiply(alpha, v2));
            }

            return;
        }

        TOps.Store(c, TOps.MulAdd(alpha, v0, TOps.Load(c)));
        if (TW.Value > 1)
        {
            TOps.Store(c + w, TOps.MulAdd(alpha, v1, TOps.Load(c + w)));
        }

        if (TW.Value > 2)
        {
            TOps.Store(c + (2 * w), TOps.MulAdd(alpha, v2, TOps.Load(c + (2 * w))));
        }
    }
}
