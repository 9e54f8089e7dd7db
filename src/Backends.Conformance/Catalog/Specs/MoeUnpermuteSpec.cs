using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>Catalog entry of <see cref="IKernels.MoeUnpermute"/>.</summary>
internal sealed class MoeUnpermuteSpec : OpSpec
{
    public override OpKind Kind => OpKind.MoeUnpermute;

    public override string Formula => "out[t] = Σ_j w[t,j]·expertOut[slotOf[t,j]]";

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("T", "tokens", 64),
        new("H", "hidden size", 64),
        new("k", "experts per token", 2),
        new("drop", "1: about 15% of slots dropped (−1 or ≥ R)", 0),
        new("extra", "rows of expertOutput beyond T·k", 0),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["T", "H", "k"];

    public override OpShape DefaultShape => S(512, 7168, 8);

    public override OpShape? SpecialShape => S(6, 20, 3, 1, 2);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(1, 1, 1), S(7, 17, 2), S(33, 64, 6), S(16, 128, 8, 1), S(5, 33, 3, 0, 4), S(0, 16, 2), S(64, 1000, 8, 1, 9),
        S(12, 48, 4, 1), S(9, 40, 10, 1),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int t = b["T"], h = b["H"], k = b["k"], rows = (t * k) + b["extra"];
        bool drop = b["drop"] != 0;
        var slots = new int[t * k];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = i;
        }

        b.Rng.Shuffle(slots);
        if (drop)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                if (b.Rng.NextDouble() < 0.15)
                {
                    slots[i] = b.Rng.Next(2) == 0 ? -1 : rows + b.Rng.Next(3);
                }
            }

            if (b.Specials && slots.Length > 0 && slots.All(s => (uint)s < (uint)rows))
            {
                slots[b.Rng.Next(slots.Length)] = -1; // the special values below need a dropped slot
            }
        }

        double[] eo = b.Uniform((long)rows * h);
        double[] w = b.Uniform((long)t * k, 0, 1);
        if (b.Specials)
        {
            b.Plant(eo, double.NaN, double.PositiveInfinity);
            b.Plant(w, double.NaN);

            // What no valid slot reaches contributes nothing, not even a NaN: a dropped slot's NaN or infinite weight,
            // and a NaN in a row past T·k (no slot names it).
            int[] dropped = [.. Enumerable.Range(0, slots.Length).Where(i => (uint)slots[i] >= (uint)rows)];
            if (dropped.Length > 0)
            {
                w[dropped[0]] = double.NaN;
                w[dropped[^1]] = double.PositiveInfinity;
            }

            if (rows > t * k && h > 0)
            {
                eo[(long)t * k * h] = double.NaN;
            }
        }

        b.Input("expertOut", b.DType, [rows, h], eo);
        b.IntInput("slotOf", [t, k], slots);
        b.Input("weights", DType.F32, [t, k], w);
        b.Output("out", b.DType, [t, h]);
        OpCase c = b.Build(
            2.0 * t * k * h,
            (kn, s, v) => kn.MoeUnpermute(s, v("expertOut"), v("slotOf"), v("weights"), v("out")),
            get =>
            {
                var o = new double[(long)t * h];
                ReferenceOps.MoeUnpermute(get("expertOut"), CaseBuilder.ToInts(get("slotOf")), get("weights"), o, t, h, k, rows);
                return new() { ["out"] = o };
            });
        int size = b.DType.SizeInBytes();
        c.BytesMoved = ((double)t * k * h * size) + ((double)t * h * size) + (8.0 * t * k);
        return c;
    }
}
