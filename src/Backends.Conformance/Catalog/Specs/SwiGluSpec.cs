using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.SwiGlu"/>.</summary>
internal sealed class SwiGluSpec : ElementwiseSpec
{
    public override OpKind Kind => OpKind.SwiGlu;

    public override string Formula => "y = silu(gate)·up";

    public override IReadOnlyList<InPlace> InPlaceUses { get; } = [new("y", "gate"), new("y", "up")];

    public override IReadOnlyList<OpAxis> Axes { get; } = RowsCols();

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"];
        double[] gate = b.Uniform((long)rows * cols, -8, 8);
        double[] up = b.Uniform((long)rows * cols, -2, 2);
        if (b.Specials)
        {
            // gate = −100 never meets up = ±∞: silu(−100) is −3.7e−42 in float64 but underflows to −0 in F32 kernels
            // (σ(−100) through exp(100) = ∞), and −0·∞ is NaN where the reference has +∞. docs/ops.md notes the underflow.
            int n = gate.Length;
            if (n >= 5)
            {
                int at = b.Rng.Next(n);
                gate[at] = double.NaN;
                gate[(at + 1) % n] = double.PositiveInfinity;
                gate[(at + 2) % n] = -100;
                up[(at + 3) % n] = double.NaN;
                up[(at + 4) % n] = double.NegativeInfinity;
            }
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
