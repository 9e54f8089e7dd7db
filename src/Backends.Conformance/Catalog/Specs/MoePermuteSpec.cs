using System;
using System.Collections.Generic;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.MoePermute"/>.</summary>
internal sealed class MoePermuteSpec : OpSpec
{
    public override OpKind Kind => OpKind.MoePermute;

    public override string Formula => "permuted[p] = tokens[rowSource[p]], rows grouped by expert in token order";

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("T", "tokens", 64),
        new("H", "hidden size", 64),
        new("k", "experts per token", 2),
        new("E", "experts", 8),
        new("drop", "1: about 15% of choices dropped (ids −1 or ≥ E); 2: as 1, and a token may choose an expert more than once (k may exceed E)", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["T", "H", "k", "E"];

    public override OpShape DefaultShape => S(512, 7168, 8, 256);

    public override OpShape? SpecialShape => S(9, 12, 2, 4);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1, 1, 1), S(7, 17, 2, 4), S(33, 64, 6, 64), S(16, 128, 8, 256), S(64, 31, 2, 8, 1),
        S(0, 16, 2, 4), S(5, 33, 3, 3, 1), S(128, 7, 1, 1), S(300, 20, 8, 32), S(13, 21, 5, 3, 2), S(40, 9, 4, 16, 2),
    ];

    /// <summary>k distinct experts per token (k ≤ E), some dropped when asked; or, with <paramref name="repeats"/>, k draws with repeats.</summary>
    internal static int[] MakeIds(Random rng, int t, int k, int experts, bool drop, bool repeats = false)
    {
        var ids = new int[t * k];
        if (repeats)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = drop && rng.NextDouble() < 0.15 ? (rng.Next(2) == 0 ? -1 : experts + rng.Next(3)) : rng.Next(experts);
            }

            return ids;
        }

        var pool = new int[experts];
        for (int i = 0; i < t; i++)
        {
            for (int e = 0; e < experts; e++)
            {
                pool[e] = e;
            }

            for (int j = 0; j < k; j++)
            {
                int pick = j + rng.Next(experts - j);
                (pool[j], pool[pick]) = (pool[pick], pool[j]);
                ids[(i * k) + j] = drop && rng.NextDouble() < 0.15 ? (rng.Next(2) == 0 ? -1 : experts + rng.Next(3)) : pool[j];
            }
        }

        return ids;
    }

    internal override OpCase Build(CaseBuilder b)
    {
        int t = b["T"], h = b["H"], k = b["k"], experts = b["E"];
        bool repeats = b["drop"] == 2;
        if (k > experts && !repeats)
        {
            throw new ArgumentException($"moe-permute: k ({k}) must be ≤ E ({experts}) unless drop=2 (repeated experts).");
        }

        int[] ids = MakeIds(b.Rng, t, k, experts, b["drop"] != 0, repeats);
        double[] tokens = b.Uniform((long)t * h);
        if (b.Specials)
        {
            b.Plant(tokens, double.NaN, double.PositiveInfinity, double.NegativeInfinity);
        }

        b.Input("tokens", b.DType, [t, h], tokens);
        b.IntInput("ids", [t, k], ids);
        b.Output("permuted", b.DType, [t * k, h], CompareMode.Exact);
        b.Output("rowSource", DType.I32, [t * k], CompareMode.Exact);
        b.Output("slotOf", DType.I32, [t, k], CompareMode.Exact);
        b.Output("offsets", DType.I32, [experts + 1], CompareMode.Exact);
        OpCase c = b.Build(
            0,
            (kn, s, v) => kn.MoePermute(s, v("tokens"), v("ids"), v("permuted"), v("rowSource"), v("slotOf"), v("offsets")),
            get =>
            {
                var permuted = new double[(long)t * k * h];
                var rowSource = new int[t * k];
                var slotOf = new int[t * k];
                var offsets = new int[experts + 1];
                ReferenceOps.MoePermute(get("tokens"), CaseBuilder.ToInts(get("ids")), permuted, rowSource, slotOf, offsets, t, h, k, experts);
                return new()
                {
                    ["permuted"] = permuted,
                    ["rowSource"] = CaseBuilder.ToDoubles(rowSource),
                    ["slotOf"] = CaseBuilder.ToDoubles(slotOf),
                    ["offsets"] = CaseBuilder.ToDoubles(offsets),
                };
            });

        // At least: every token row read once, every permuted row written once, the small index tensors.
        int size = b.DType.SizeInBytes();
        c.BytesMoved = (((double)t * h) + ((double)t * k * h)) * size + (4.0 * t * k * 3) + (4.0 * (experts + 1));
        return c;
    }
}
