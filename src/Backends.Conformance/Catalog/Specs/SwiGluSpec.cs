using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.SwiGlu"/>.</summary>
internal sealed class SwiGluSpec : ElementwiseSpec
{
    public override OpKind Kind => OpKind.SwiGlu;

    public override string Formula => "y = silu(gate)·up";

    public override IReadOnlyList<OpAxis> Axes { get; } = RowsCols();

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"];
        double[] gate = b.Uniform((long)rows * cols, -8, 8);
        double[] up = b.Uniform((long)rows * cols, -2, 2);
        if (b.Specials)
        {
            b.Plant(gate, double.NaN, double.PositiveInfinity, -100);
            b.Plant(up, double.NaN, double.NegativeInfinity);
        }

        b.Input("gate", b.DType, [rows, cols], gate, strided: true);
        b.Input("up", b.DType, [rows, cols], up, strided: true);
        b.Output("y", b.DType, [rows, cols], strided: true);
        return b.Build(
            5.0 * rows * cols,
            (kn, s, v) => kn.SwiGlu(s, v("gate"), v("up"), v("y")),
            get =>
            {
                var y = new double[(long)rows * cols];
                ReferenceOps.SwiGlu(get("gate"), get("up"), y);
                return new() { ["y"] = y };
            });
    }
}
