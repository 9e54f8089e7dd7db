using System;
using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.Softmax"/>.</summary>
internal sealed class SoftmaxSpec : OpSpec
{
    public override OpKind Kind => OpKind.Softmax;

    public override string Formula => "y = exp(s·x − max) / Σ exp(s·x − max) per row";

    public override IReadOnlyList<InPlace> InPlaceUses { get; } = [new("y", "x")];

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("rows", "rows (all leading dimensions)", 64),
        new("cols", "row length", 64),
        new("causal", "1: causal mask", 0),
        new("q", "queries per mask: the view is [rows/q, q, cols] when q > 1, else [rows, cols] (the mask then spans all rows); rows must be a multiple", 1),
        new("scale", "0: scale 1; 1: 0.125; 2: −0.5 (the maximum of s·x sits at the row's minimum); 3: 1e20 (|s·x| up to 4e20: the row's maximum must get exp(0), not the exp of a rounding error)", 0),
        new("pad", "row padding: the views of the strided tensors are column blocks of wider buffers (0: contiguous)", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["rows", "cols"];

    public override OpShape DefaultShape => S(2048, 4096);

    public override OpShape? SpecialShape => S(6, 37);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1), S(3, 15), S(5, 16), S(7, 17), S(2, 31), S(2, 33), S(4, 63), S(4, 65), S(8, 1000),
        S(17, 257, 0, 1, 1), S(16, 4099), S(8, 8, 1, 8), S(12, 20, 1, 4, 1), S(6, 3, 1, 6), S(7, 5, 1), S(2, 32768),
        S(9, 100, 0, 1, 1, 7), S(12, 20, 1, 4, 1, 3), S(5, 33, 0, 1, 0, 16),
        S(6, 45, 0, 1, 2), S(8, 37, 1, 4, 2), S(6, 45, 0, 1, 3), S(6, 45, 1, 1, 3), S(5, 19, 0, 1, 3, 5),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"], q = Math.Max(1, b["q"]);
        bool causal = b["causal"] != 0;
        float scale = b["scale"] switch
        {
            0 => 1f,
            1 => 0.125f,
            2 => -0.5f,
            3 => 1e20f,
            _ => throw new ArgumentException($"softmax: scale must be 0..3 but is {b["scale"]}."),
        };
        if (rows % q != 0)
        {
            throw new ArgumentException($"softmax: rows ({rows}) must be a multiple of q ({q}).");
        }

        int[] shape = q > 1 ? [rows / q, q, cols] : [rows, cols];
        double[] x = b.Uniform((long)rows * cols, -4, 4);
        if (b.Specials && rows >= 4 && cols > 0)
        {
            x[b.Rng.Next(cols)] = double.NaN;                      // row 0: NaN row
            x[cols + b.Rng.Next(cols)] = double.PositiveInfinity;  // row 1: +inf makes NaN
            for (int j = 0; j < cols; j += 3)
            {
                x[(2 * cols) + j] = double.NegativeInfinity;       // row 2: some −inf, weight 0
                x[(3 * cols) + j] = double.NegativeInfinity;
            }

            for (int j = 0; j < cols; j++)
            {
                x[(3 * cols) + j] = double.NegativeInfinity;       // row 3: all −inf gives NaN
            }

            if (rows >= 5)
            {
                for (int j = 1; j < cols; j += 2)
                {
                    x[(4 * cols) + j] = j % 4 == 1 ? -1e30 : -200; // row 4: far below the max, weight 0 (an exp's range clamp)
                }
            }
        }

        b.Input("x", b.DType, shape, x, strided: true);
        b.Output("y", b.DType, shape, strided: true);
        var options = new SoftmaxOptions { Scale = scale, Causal = causal };
        return b.Build(
            5.0 * rows * cols,
            (kn, s, v) => kn.Softmax(s, v("x"), v("y"), options),
            get =>
            {
                var y = new double[(long)rows * cols];
                // The mask's query count is the view's dimension −2: q for [rows/q, q, cols], every row for [rows, cols].
                ReferenceOps.Softmax(get("x"), y, rows, cols, shape[^2], scale, causal);
                return new() { ["y"] = y };
            });
    }
}
