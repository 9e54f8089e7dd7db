using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.Rope"/>.</summary>
internal sealed class RopeSpec : OpSpec
{
    public override OpKind Kind => OpKind.Rope;

    public override string Formula => "(x0,x1) → (x0·cos − x1·sin, x0·sin + x1·cos), angle = pos·θ^(−2p/rot)";

    public override IReadOnlyList<InPlace> InPlaceUses { get; } = [new("y", "x")];

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("T", "tokens", 16),
        new("H", "heads", 4),
        new("D", "head size", 64),
        new("rot", "rotated dimensions (0: all)", 0),
        new("layout", "0 interleaved, 1 half-split", 1),
        new("rank2", "1: x is [T,D] (H must be 1)", 0),
        new("maxpos", "positions are drawn from [0, maxpos)", 512),
        new("pad", "row padding: the views of the strided tensors are column blocks of wider buffers (0: contiguous)", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["T", "H", "D"];

    public override OpShape DefaultShape => S(2048, 32, 128);

    public override OpShape? SpecialShape => S(4, 2, 16);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1, 2), S(3, 2, 16, 0, 0), S(3, 2, 16, 0, 1), S(5, 3, 18, 16, 1), S(7, 1, 64, 0, 0),
        S(16, 8, 128), S(9, 4, 64, 32, 0), S(11, 1, 34, 0, 1, 1), S(4, 2, 130, 0, 1), S(6, 3, 20, 12, 0, 0, 100000),
        S(5, 3, 18, 16, 1).With("pad", 6), S(11, 1, 34, 0, 1, 1).With("pad", 2), S(7, 4, 16, 0, 0).With("pad", 40),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int t = b["T"], h = b["H"], d = b["D"], rot = b["rot"] == 0 ? b["D"] : b["rot"];
        var layout = b["layout"] == 0 ? RopeLayout.Interleaved : RopeLayout.HalfSplit;
        int[] shape = b["rank2"] != 0 ? [t, d] : [t, h, d];
        int heads = b["rank2"] != 0 ? 1 : h;
        double[] x = b.Uniform((long)t * heads * d);
        if (b.Specials)
        {
            b.Plant(x, double.NaN, double.NaN);
        }

        var pos = new int[t];
        for (int i = 0; i < t; i++)
        {
            pos[i] = b.Rng.Next(b["maxpos"]);
        }

        b.Input("x", b.DType, shape, x, strided: true);
        b.IntInput("positions", [t], pos);
        b.Output("y", b.DType, shape, strided: true);
        var options = new RopeOptions { Layout = layout, RotaryDims = b["rot"], Theta = 10000f };
        return b.Build(
            6.0 * t * heads * (rot / 2),
            (kn, s, v) => kn.Rope(s, v("x"), v("positions"), v("y"), options),
            get =>
            {
                var y = new double[(long)t * heads * d];
                ReferenceOps.Rope(get("x"), CaseBuilder.ToInts(get("positions")), y, t, heads, d, rot, 10000.0, layout);
                return new() { ["y"] = y };
            });
    }
}
