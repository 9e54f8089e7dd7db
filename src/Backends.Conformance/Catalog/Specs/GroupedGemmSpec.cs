using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.GroupedGemm"/>.</summary>
internal sealed class GroupedGemmSpec : OpSpec
{
    public override OpKind Kind => OpKind.GroupedGemm;

    public override string Formula => "c[r] = a[r]·W[e]ᵀ for rows r of expert e's group";

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("R", "rows of a (token-expert pairs)", 64),
        new("N", "output columns", 64),
        new("K", "inner dimension", 64),
        new("E", "experts", 8),
        new("tb", "1: weights [E,N,K]; 0: [E,K,N]", 1),
        new("dist", "0 random groups, 1 many empty, 2 one expert, 3 out-of-order offsets and an uncovered tail, 4 offsets past R", 0),
        new("c32", "1: c in f32 for f16/bf16 inputs", 0),
        new("pad", "row padding: the views of the strided tensors are column blocks of wider buffers (0: contiguous)", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["R", "N", "K", "E"];

    public override OpShape DefaultShape => S(256, 1408, 2048, 8);

    public override OpShape? SpecialShape => S(12, 9, 10, 3);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1, 1, 1),
        S(7, 17, 33, 4),
        S(64, 65, 31, 8, 1, 1),
        S(33, 16, 64, 3, 0),
        S(40, 24, 8, 5, 1, 3),
        S(45, 33, 17, 6, 0, 3, 1),
        S(30, 20, 12, 4, 1, 2),
        S(23, 19, 21, 5, 1, 4),
        S(128, 96, 80, 16, 1, 0, 1),
        S(16, 300, 257, 32, 1, 1),

        // Prefill-sized groups (over 16 rows per expert on average, at least 4 experts): the CPU runs one expert per core.
        S(170, 24, 40, 5, 1, 0), S(150, 20, 36, 4, 0, 0, 1),
        S(7, 17, 33, 4).With("pad", 3), S(64, 65, 31, 8, 1, 1).With("pad", 5), S(45, 33, 17, 6, 0, 3, 1).With("pad", 2),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int rows = b["R"], n = b["N"], k = b["K"], experts = b["E"];
        bool tb = b["tb"] != 0;
        DType cType = b.DType == DType.F32 || b["c32"] != 0 ? DType.F32 : b.DType;
        int[] offsets = MakeOffsets(b.Rng, rows, experts, b["dist"]);
        double[] av = b.Uniform((long)rows * k);
        double[] wv = b.Uniform((long)experts * n * k);
        if (b.Specials)
        {
            b.Plant(av, double.NaN, double.PositiveInfinity);
            b.Plant(wv, double.NegativeInfinity);
        }

        b.Input("a", b.DType, [rows, k], av, strided: true);
        b.Input("w", b.DType, tb ? [experts, n, k] : [experts, k, n], wv);
        b.IntInput("offsets", [experts + 1], offsets);
        b.Output("c", cType, [rows, n], strided: true);
        int[] eff = OpContracts.EffectiveOffsets(offsets, rows);
        var options = new GroupedGemmOptions { TransB = tb };
        OpCase built = b.Build(
            2.0 * (eff[experts] - eff[0]) * n * k,
            (kn, s, v) => kn.GroupedGemm(s, v("a"), v("w"), v("offsets"), v("c"), options),
            get =>
            {
                var c = new double[(long)rows * n];
                ReferenceOps.GroupedGemm(get("a"), get("w"), CaseBuilder.ToInts(get("offsets")), c, rows, n, k, experts, tb);
                return new() { ["c"] = c };
            },
            roundingFloors: get =>
            {
                var squares = new double[(long)rows * n];
                ReferenceOps.GroupedGemm(GemmSpec.Squared(get("a")), GemmSpec.Squared(get("w")), CaseBuilder.ToInts(get("offsets")), squares, rows, n, k, experts, tb);
                return new() { ["c"] = Comparison.DotRoundingFloor(squares, k, 1) };
            },
            sampledCheck: (c, actual) =>
            {
                double[] a = c.Tensor("a").Values, w = c.Tensor("w").Values;
                return SampledRows.Check(c, "c", actual("c"), rows, n, row =>
                {
                    var outRow = new double[n];
                    int e = -1;
                    for (int g = 0; g < experts; g++)
                    {
                        if (eff[g] <= row && row < eff[g + 1])
                        {
                            e = g;
                        }
                    }

                    if (e < 0)
                    {
                        return outRow;
                    }

                    long wo = (long)e * n * k;
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0;
                        for (int q = 0; q < k; q++)
                        {
                            sum += a[((long)row * k) + q] * w[wo + (tb ? ((long)j * k) + q : ((long)q * n) + j)];
                        }

                        outRow[j] = sum;
                    }

                    return outRow;
                });
            });

        // At least: the rows of A in some group, the weights of experts that have rows (an empty group costs nothing), all of C.
        int active = Enumerable.Range(0, experts).Count(e => eff[e + 1] > eff[e]);
        int size = b.DType.SizeInBytes();
        built.BytesMoved = (((double)(eff[experts] - eff[0]) * k) + ((double)active * n * k)) * size + ((double)rows * n * cType.SizeInBytes()) + (4.0 * (experts + 1));
        return built;
    }

    /// <summary>Group boundaries for a distribution kind.</summary>
    internal static int[] MakeOffsets(Random rng, int rows, int experts, int dist)
    {
        var counts = new int[experts];
        switch (dist)
        {
            case 1:
                for (int r = 0; r < rows; r++)
                {
                    counts[rng.Next(Math.Max(1, experts / 3)) * 3 % experts]++;
                }

                break;
            case 2:
                counts[experts - 1] = rows;
                break;
            default:
                for (int r = 0; r < rows; r++)
                {
                    counts[rng.Next(experts)]++;
                }

                break;
        }

        var offsets = new int[experts + 1];
        for (int e = 0; e < experts; e++)
        {
            offsets[e + 1] = offsets[e] + counts[e];
        }

        if (dist == 3 && experts >= 2)
        {
            // Malformed on purpose: a tail no group covers, one boundary out of order, one beyond R, one negative start.
            int tail = Math.Max(1, rows / 5);
            for (int e = 1; e <= experts; e++)
            {
                offsets[e] = Math.Max(0, offsets[e] - tail);
            }

            offsets[1] = offsets[2] + 2;
            offsets[0] = -3;
            offsets[experts] = rows - tail;
        }

        if (dist == 4)
        {
            // The last boundaries run past R: they are clamped to R.
            offsets[experts] = rows + 5;
            offsets[experts - 1] = Math.Max(offsets[experts - 1], rows - 1) + 3;
        }

        return offsets;
    }
}
