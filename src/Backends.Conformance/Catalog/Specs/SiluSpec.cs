using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.Silu"/>.</summary>
internal sealed class SiluSpec : ElementwiseSpec
{
    public override OpKind Kind => OpKind.Silu;

    public override string Formula => "y = x·sigmoid(x)";

    public override IReadOnlyList<InPlace> InPlaceUses { get; } = [new("y", "x")];

    public override IReadOnlyList<OpAxis> Axes { get; } = RowsCols();

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"];
        double[] x = b.Uniform((long)rows * cols, -8, 8);
        if (b.Specials)
        {
            b.Plant(x, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -100, 100, -1e4);
        }

        b.Input("x", b.DType, [rows, cols], x, strided: true);
        b.Output("y", b.DType, [rows, cols], strided: true);
        return b.Build(
            4.0 * rows * cols,
            (kn, s, v) => kn.Silu(s, v("x"), v("y")),
            get =>
            {
                var y = new double[(long)rows * cols];
                ReferenceOps.Silu(get("x"), y);
                return new() { ["y"] = y };
            });
    }
}
