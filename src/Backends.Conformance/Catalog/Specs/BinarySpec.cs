using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entries of <see cref="IKernels.Add"/> and <see cref="IKernels.Mul"/>.</summary>
internal sealed class BinarySpec : ElementwiseSpec
{
    private readonly bool _add;

    public BinarySpec(bool add) => _add = add;

    public override OpKind Kind => _add ? OpKind.Add : OpKind.Mul;

    public override string Formula => _add ? "y = a + b (b broadcast over rows)" : "y = a · b (b broadcast over rows)";

    public override IReadOnlyList<InPlace> InPlaceUses { get; } = [new("y", "a"), new("y", "b")];

    public override IReadOnlyList<OpAxis> Axes { get; } = RowsCols(new OpAxis("bcast", "1: b is one row [cols]", 0));

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        .. base.ConformanceShapes(dtype),
        S(5, 17, 1), S(9, 64, 1), S(33, 1, 1), S(4, 1000, 1), S(1, 31, 1), S(5, 17, 1).With("pad", 3),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["rows"], cols = b["cols"];
        bool bcast = b["bcast"] != 0;
        int[] bShape = bcast ? [cols] : [rows, cols];
        double[] a = b.Uniform((long)rows * cols, -2, 2);
        double[] bv = b.Uniform(bcast ? cols : (long)rows * cols, -2, 2);
        if (b.Specials)
        {
            b.Plant(a, double.NaN, double.PositiveInfinity);
            b.Plant(bv, double.NegativeInfinity);
        }

        b.Input("a", b.DType, [rows, cols], a, strided: true);
        b.Input("b", b.DType, bShape, bv, strided: true);
        b.Output("y", b.DType, [rows, cols], strided: true);
        bool add = _add;
        return b.Build(
            (double)rows * cols,
            (kn, s, v) =>
            {
                if (add)
                {
                    kn.Add(s, v("a"), v("b"), v("y"));
                }
                else
                {
                    kn.Mul(s, v("a"), v("b"), v("y"));
                }
            },
            get =>
            {
                var y = new double[(long)rows * cols];
                if (y.Length > 0)
                {
                    if (add)
                    {
                        ReferenceOps.Add(get("a"), get("b"), y);
                    }
                    else
                    {
                        ReferenceOps.Mul(get("a"), get("b"), y);
                    }
                }

                return new() { ["y"] = y };
            });
    }
}
