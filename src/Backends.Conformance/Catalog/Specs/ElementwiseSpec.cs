using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>Shared axes and shapes of the elementwise ops: lengths around every vector width.</summary>
internal abstract class ElementwiseSpec : OpSpec
{
    private static readonly int[] Lengths = [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["rows", "cols"];

    public override OpShape DefaultShape => S(4096, 4096);

    public override OpShape? SpecialShape => S(3, 29);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        .. Lengths.Select(n => S(1, n)),
        S(3, 100), S(7, 1001), S(1, (1 << 20) + 3), S(0, 5),
        S(3, 100).With("pad", 5), S(7, 33).With("pad", 1), S(5, 17).With("pad", 16),
    ];

    protected static IReadOnlyList<OpAxis> RowsCols(params OpAxis[] more) =>
    [
        new("rows", "rows (leading dimensions)", 1),
        new("cols", "row length", 1024),
        .. more,
        new("pad", "row padding: the views of the strided tensors are column blocks of wider buffers (0: contiguous)", 0),
    ];
}
