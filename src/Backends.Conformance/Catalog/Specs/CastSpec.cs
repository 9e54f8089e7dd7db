using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.Cast"/>: every source × target pair, compared bit-exactly.</summary>
internal sealed class CastSpec : ElementwiseSpec
{
    private static readonly DType[] Targets = [DType.F32, DType.F16, DType.BF16];

    public override OpKind Kind => OpKind.Cast;

    public override string Formula => "y = round-to-nearest-even(x) in the target dtype";

    public override IReadOnlyList<OpAxis> Axes { get; } = RowsCols(new OpAxis("to", "target: 0 f32, 1 f16, 2 bf16", 1));

    public override OpShape? SpecialShape => S(4, 40, 1);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
        [.. base.ConformanceShapes(dtype).SelectMany(s => Enumerable.Range(0, 3).Select(t => s.With("to", t)))];

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"];
        DType to = Targets[Math.Clamp(b["to"], 0, 2)];
        long count = (long)rows * cols;
        var x = new double[count];
        for (long i = 0; i < count; i++)
        {
            // Magnitudes from 2^-30 to 2^20 so every rounding regime (subnormal f16 included) is met.
            x[i] = ((b.Rng.NextDouble() * 2) - 1) * Math.Pow(2, (b.Rng.NextDouble() * 50) - 30);
        }

        if (b.Specials)
        {
            b.Plant(x, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 70000, -65520, 65504, 1e-8, 6e-5, 3e38, -0.0, 1.00048828125);
        }

        x = b.Input("x", b.DType, [rows, cols], x, strided: true);
        b.Output("y", to, [rows, cols], CompareMode.Exact, strided: true);
        return b.Build(
            0,
            (kn, s, v) => kn.Cast(s, v("x"), v("y")),
            get => new() { ["y"] = get("x").Select(v => ReferenceOps.Quantize(v, to)).ToArray() });
    }
}
