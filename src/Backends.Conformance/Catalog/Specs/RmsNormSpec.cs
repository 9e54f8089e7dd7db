using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.RmsNorm"/>.</summary>
internal sealed class RmsNormSpec : OpSpec
{
    public const float Eps = 1e-6f;

    public override OpKind Kind => OpKind.RmsNorm;

    public override string Formula => "y = x / sqrt(mean(x²) + 1e-6) · gamma per row";

    public override IReadOnlyList<InPlace> InPlaceUses { get; } = [new("y", "x")];

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("rows", "rows", 64),
        new("cols", "row length (hidden size)", 64),
        new("pad", "row padding: the views of the strided tensors are column blocks of wider buffers (0: contiguous)", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["rows", "cols"];

    public override OpShape DefaultShape => S(1024, 7168);

    public override OpShape? SpecialShape => S(4, 40);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1), S(3, 15), S(5, 16), S(7, 17), S(2, 31), S(2, 33), S(3, 63), S(3, 65), S(4, 1000), S(2, 7168), S(64, 4099), S(19, 6200),
        S(5, 33, 9), S(3, 1000, 24), S(11, 6160, 24),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"];
        double[] x = b.Uniform((long)rows * cols, -2, 2);
        if (b.Specials && rows >= 2 && cols > 0)
        {
            x[b.Rng.Next(cols)] = double.NaN;
            x[cols + b.Rng.Next(cols)] = double.PositiveInfinity;
        }

        b.Input("x", b.DType, [rows, cols], x, strided: true);
        b.Input("gamma", b.DType, [cols], b.Uniform(cols, 0.5, 1.5));
        b.Output("y", b.DType, [rows, cols], strided: true);
        return b.Build(
            4.0 * rows * cols,
            (kn, s, v) => kn.RmsNorm(s, v("x"), v("gamma"), v("y"), Eps),
            get =>
            {
                var y = new double[(long)rows * cols];
                ReferenceOps.RmsNorm(get("x"), get("gamma"), y, rows, cols, Eps);
                return new() { ["y"] = y };
            });
    }
}
