using System;
using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.Gemm"/>.</summary>
internal sealed class GemmSpec : OpSpec
{
    public override OpKind Kind => OpKind.Gemm;

    public override string Formula => "C = alpha·op(A)·op(B) + beta·C, batched";

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("batch", "number of C matrices", 1),
        new("M", "rows of C", 64),
        new("N", "columns of C", 64),
        new("K", "inner dimension", 64),
        new("ta", "1: A stored [K,M]", 0),
        new("tb", "1: B stored [N,K]", 0),
        new("beta", "0: alpha 1, beta 0; 1: alpha 0.75, beta -0.5 (C read)", 0),
        new("shareb", "1: one B (rank 2) for every batch", 0),
        new("c32", "1: C in f32 for f16/bf16 inputs", 0),
        new("pad", "row padding: the views of the strided tensors are column blocks of wider buffers (0: contiguous)", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["M", "N", "K"];

    public override OpShape DefaultShape => S(1, 1024, 1024, 1024, 0, 0);

    public override OpShape? SpecialShape => S(1, 8, 9, 10, 0, 0);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1, 1, 1, 0, 0),
        S(1, 1, 17, 33, 0, 1),
        S(1, 15, 16, 17, 1, 0),
        S(1, 17, 33, 15, 0, 1),
        S(1, 16, 16, 16, 1, 1),
        S(1, 33, 65, 63, 0, 0, 1),
        S(1, 64, 64, 64, 0, 0),
        S(1, 31, 32, 129, 1, 1, 1),
        S(3, 17, 19, 21, 0, 1),
        S(2, 13, 31, 9, 1, 0, 1, 1),
        S(1, 1, 300, 7, 0, 1),
        S(1, 2, 257, 513, 0, 1, 0, 0, 1),
        S(1, 130, 70, 257, 0, 0, 1, 0, 1),
        S(1, 5, 6, 0, 0, 0, 1),
        S(1, 200, 192, 160, 0, 0),
        S(1, 256, 256, 256, 0, 1),

        // The CPU decode path's edges: K over one 16384-float block with a tail, N not a multiple of the 8- or 6-row
        // B steps, 3..16 rows (several groups of 4), beta and an F32 C.
        S(1, 1, 19, 2100, 0, 1),
        S(1, 11, 10, 4200, 0, 1, 1, 0, 1),
        S(1, 1, 13, 16500, 0, 1),
        S(1, 6, 7, 16400, 0, 1, 1),

        // The AVX-512 broadcast decode kernels: quads of k on one, two or four A vectors (3..4, 5..8, 9..16 rows of A;
        // BF16 at 9..16 read in place, F16 at 9..16 widened first), K tails short of a whole 64-byte line of B (16 k of
        // F32, 32 of BF16; and K with no whole line), B rows in full tiles of 12 (6 with four vectors) plus a short
        // tile, beta, a transposed A.
        S(1, 3, 29, 103, 0, 1),
        S(1, 4, 13, 9, 0, 1),
        S(1, 7, 37, 61, 0, 1, 1),
        S(1, 5, 25, 47, 0, 1, 1),
        S(1, 16, 21, 130, 0, 1),
        S(1, 12, 8, 33, 1, 1),
        S(1, 9, 14, 15, 0, 1),
        // The CPU blocked path's edges: K over one slab (KC ≤ 1024) cut into equal slabs, with beta and a transposed
        // A; N over one column block (NC ≤ 1024) per worker; rows split over workers with an 8-row panel edge, 4-row
        // groups plus a ragged rest, and column edges.
        S(1, 40, 70, 1100, 0, 1),
        // Its 8 × 48 kernel's last column panel at one, two and three vectors, full and partial: N = 48 + 32 with a
        // packed A (row stride 4 KiB, by the padding) and 3 rows past the whole panels; N = 48 + 7 with A read in place,
        // beta and a partial last panel copied out.
        S(1, 27, 80, 40, 0, 0).With("pad", 984), S(1, 43, 55, 300, 0, 0, 1),
        S(1, 29, 45, 1600, 1, 0, 1),
        S(1, 24, 2100, 48, 0, 1),
        S(1, 301, 40, 200, 0, 0),
        // The blocked path reading F32 A in place from its rows (row strides not a multiple of 4 KiB): K over several
        // slabs (each starting mid-row), a partial last 8-row panel copied out, beta, B [N,K] past the unpacked-B rows,
        // A a view of a wider buffer.
        S(1, 50, 40, 1700, 0, 0, 1), S(1, 390, 37, 120, 0, 1).With("pad", 7),
        // The unpacked-B path (17..384 rows, B [N,K]): Cᵀ transposed back 8 rows at a time, with rows and columns
        // that are not a multiple of 8, beta.
        S(1, 21, 45, 70, 0, 1, 1), S(1, 59, 29, 33, 0, 1),
        // Its rows as a triple and a pair with an odd K and beta, and a triple with a 4-row tail (4 rows × 4 k per
        // vector) on a transposed A and an odd K whose last K block ends past its whole 16-k lines; a 2-row tail with K
        // short of one line; B rows in full 24-row tiles and a short one.
        S(1, 68, 29, 65, 0, 1, 1), S(1, 52, 26, 1101, 1, 1), S(1, 50, 9, 13, 0, 1),
        // Its Aᵀ packed 16 rows × 16 k at a time: a K whose rest past the 16s is an 8-k block and a scalar tail.
        S(1, 37, 23, 45, 0, 1),
        S(1, 17, 33, 15, 0, 1).With("pad", 3), S(1, 33, 65, 63, 1, 0, 1).With("pad", 5), S(1, 7, 40, 300, 0, 1).With("pad", 9),
        S(2, 13, 31, 9, 1, 0, 1, 1).With("pad", 4), S(3, 17, 19, 21, 0, 1).With("pad", 2), S(1, 130, 70, 257, 0, 0, 1, 0, 1).With("pad", 6),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int batch = b["batch"], m = b["M"], n = b["N"], k = b["K"];
        bool ta = b["ta"] != 0, tb = b["tb"] != 0, readC = b["beta"] != 0, shareB = b["shareb"] != 0;
        DType cType = b.DType == DType.F32 || b["c32"] != 0 ? DType.F32 : b.DType;
        float alpha = readC ? 0.75f : 1f, beta = readC ? -0.5f : 0f;
        int[] aShape = ta ? [k, m] : [m, k];
        int[] bShape = tb ? [n, k] : [k, n];
        int[] cShape = [m, n];
        if (batch > 1)
        {
            aShape = [batch, .. aShape];
            cShape = [batch, .. cShape];
            if (!shareB)
            {
                bShape = [batch, .. bShape];
            }
        }

        double[] av = b.Uniform((long)batch * m * k);
        double[] bv = b.Uniform(shareB ? (long)n * k : (long)batch * n * k);
        if (b.Specials)
        {
            b.Plant(av, double.NaN, double.NegativeInfinity);
            b.Plant(bv, double.PositiveInfinity);
        }

        av = b.Input("a", b.DType, aShape, av, strided: true);
        bv = b.Input("b", b.DType, bShape, bv, strided: true);
        if (readC)
        {
            b.InOut("c", cType, cShape, b.Uniform((long)batch * m * n), strided: true);
        }
        else
        {
            b.Output("c", cType, cShape, strided: true);
        }

        var options = new GemmOptions { TransA = ta, TransB = tb, Alpha = alpha, Beta = beta };
        return b.Build(
            2.0 * batch * m * n * k,
            (kn, s, v) => kn.Gemm(s, v("a"), v("b"), v("c"), options),
            get =>
            {
                double[] c = readC ? (double[])get("c").Clone() : new double[(long)batch * m * n];
                ReferenceOps.Gemm(get("a"), get("b"), c, batch, m, n, k, ta, tb, alpha, beta, (long)m * k, shareB ? 0 : (long)n * k);
                return new() { ["c"] = c };
            },
            roundingFloors: get =>
            {
                // Σ (a·b)² per output: the same reference on the squared inputs; then the float32 dot products' floor.
                var squares = new double[(long)batch * m * n];
                ReferenceOps.Gemm(Squared(get("a")), Squared(get("b")), squares, batch, m, n, k, ta, tb, 1, 0, (long)m * k, shareB ? 0 : (long)n * k);
                return new() { ["c"] = Comparison.DotRoundingFloor(squares, k, alpha) };
            },
            sampledCheck: (c, actual) =>
            {
                double[] a = c.Tensor("a").Values, bm = c.Tensor("b").Values, c0 = c.Tensor("c").Values;
                return SampledRows.Check(c, "c", actual("c"), batch * m, n, row =>
                {
                    int p = row / m, i = row % m;
                    long ao = (long)p * m * k, bo = shareB ? 0 : (long)p * n * k;
                    var outRow = new double[n];
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0;
                        for (int q = 0; q < k; q++)
                        {
                            sum += a[ao + (ta ? ((long)q * m) + i : ((long)i * k) + q)] * bm[bo + (tb ? ((long)j * k) + q : ((long)q * n) + j)];
                        }

                        outRow[j] = readC ? (alpha * sum) + (beta * c0[((long)row * n) + j]) : alpha * sum;
                    }

                    return outRow;
                });
            });
    }

    /// <summary>The elementwise squares of <paramref name="v"/>.</summary>
    internal static double[] Squared(double[] v) => Array.ConvertAll(v, x => x * x);
}
