using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>
/// Random cases beyond the catalog's, for the test suite and <c>backends verify --random</c>: every axis of an op drawn
/// at random (sizes log-uniform with a bias to 0..3 and to vector and tile edges ± 2, every flag, row padding, special
/// values in a quarter of the cases), every contiguous tensor placed 0..11 elements into its buffer, and a third of the
/// cases that can run in place run so. The cases come from the base seed alone, so a failure replays exactly.
/// </summary>
public static class RandomCases
{
    /// <summary>
    /// Draws <paramref name="count"/> valid cases of an op (a combination the op refuses, or one over the limits, is
    /// drawn again, up to 100 tries per case).
    /// </summary>
    /// <param name="spec">The op.</param>
    /// <param name="baseSeed">The base seed (normally <see cref="ConformanceSuite.BaseSeed"/>).</param>
    /// <param name="count">How many cases.</param>
    /// <param name="maxFlops">Cases above this many FLOPs are drawn again (the float64 reference and slow devices pay for them).</param>
    /// <param name="maxElements">Cases with more elements than this over all their tensors are drawn again.</param>
    /// <param name="dtypes">The dtypes to draw from (those the op takes among them); null for all the op takes.</param>
    /// <returns>The planned cases, each with its <see cref="PlannedCase.ViewOffset"/> and <see cref="PlannedCase.InPlace"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative, or a limit is not positive.</exception>
    public static IReadOnlyList<PlannedCase> Plan(OpSpec spec, int baseSeed, int count, double maxFlops, long maxElements, IReadOnlyCollection<DType>? dtypes = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(maxFlops > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxFlops), maxFlops, "The FLOP limit must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxElements);
        DType[] allowed = [.. spec.DTypes.Where(t => dtypes is null || dtypes.Contains(t))];
        var list = new List<PlannedCase>();
        if (allowed.Length == 0)
        {
            return list;
        }

        var rng = new Random(OpCatalog.StableSeed(baseSeed, "random-shapes", spec.Name));
        for (int tries = 0; list.Count < count && tries < 100 * count; tries++)
        {
            OpShape shape = RandomShape(spec, rng);
            DType dtype = allowed[rng.Next(allowed.Length)];
            bool specials = spec.SpecialShape is not null && rng.Next(4) == 0;
            int seed = rng.Next(1, int.MaxValue), offset = rng.Next(3) == 0 ? 0 : rng.Next(1, 12);
            OpCase c;
            try
            {
                c = spec.CreateCase(shape, dtype, seed, specials);
            }
            catch (ArgumentException)
            {
                continue; // a combination the op refuses (rows not a multiple of q, ...)
            }

            if (c.Flops > maxFlops || c.Tensors.Sum(t => t.Values.LongLength) > maxElements)
            {
                continue;
            }

            IReadOnlyList<InPlace> choices = c.InPlaceChoices;
            int pick = rng.Next(3 * Math.Max(1, choices.Count));
            list.Add(new PlannedCase(spec, dtype, shape, specials, seed)
            {
                ViewOffset = offset,
                InPlace = pick < choices.Count ? choices[pick] : null,
            });
        }

        return list;
    }

    private static int Size(Random rng, int max)
    {
        double u = rng.NextDouble();
        if (u < 0.03)
        {
            return 0;
        }

        if (u < 0.15)
        {
            return rng.Next(1, 4);
        }

        if (u < 0.45)
        {
            int[] edges = [8, 16, 32, 48, 64, 96, 128, 256];
            return Math.Clamp(edges[rng.Next(edges.Length)] + rng.Next(-2, 3), 1, max);
        }

        return (int)Math.Max(1, Math.Exp(rng.NextDouble() * Math.Log(max)));
    }

    /// <summary>Every axis at random within what the op takes.</summary>
    private static OpShape RandomShape(OpSpec spec, Random rng)
    {
        var v = new Dictionary<string, int>();
        foreach (OpAxis a in spec.Axes)
        {
            v[a.Name] = a.Name switch
            {
                "pad" => rng.Next(3) == 0 ? rng.Next(1, 40) : 0,
                "batch" => rng.Next(1, 4),
                "dist" => rng.Next(5),
                "to" => rng.Next(3),
                "q" => 1,
                "scale" => rng.Next(4),
                "maxpos" => rng.Next(1, 100_000),
                "extra" => rng.Next(0, 5),
                "k" => rng.Next(1, 9),
                "E" => rng.Next(1, 40),
                "D" => 2 * rng.Next(1, 80),
                "scale100" => a.Default,
                "K" => Size(rng, 3000),
                "rows" or "T" or "R" or "M" => Size(rng, 600),
                _ when a.Description.StartsWith('0') || a.Description.StartsWith("1:", StringComparison.Ordinal) => rng.Next(2),
                _ => Size(rng, 2100),
            };
        }

        switch (spec.Kind)
        {
            case OpKind.Rope:
                v["H"] = v["rank2"] == 1 ? 1 : rng.Next(1, 9);
                v["rot"] = rng.Next(2) == 0 ? 0 : 2 * rng.Next(1, (v["D"] / 2) + 1);
                break;
            case OpKind.MoePermute:
                v["drop"] = rng.Next(3); // 2: repeated experts, k may exceed E
                break;
            case OpKind.Softmax:
                // q > 1 makes the view [rows/q, q, cols]: one of rows' divisors.
                int[] divisors = [1, .. Enumerable.Range(2, Math.Max(0, v["rows"] - 1)).Where(q => v["rows"] % q == 0)];
                v["q"] = divisors[rng.Next(divisors.Length)];
                break;
            case OpKind.TopKGating:
                int experts = new[] { 1, 2, 7, 8, 16, 33, 64, 256, 300 }[rng.Next(9)];
                int[] groupCounts = [.. Enumerable.Range(1, 16).Where(g => experts % g == 0 && (v["bias"] == 0 || g == 1 || experts / g >= 2))];
                int groups = groupCounts[rng.Next(groupCounts.Length)];
                int kept = rng.Next(1, groups + 1);
                v["T"] = Size(rng, 64); // up to 300 tokens, the emulated CUDA router took 24 s for its 12 cases
                v["E"] = experts;
                v["groups"] = groups;
                v["kgroups"] = kept;
                v["k"] = rng.Next(1, Math.Min(kept * (experts / groups), 16) + 1);
                break;
        }

        return new OpShape([.. v.Select(kv => (kv.Key, kv.Value))]);
    }
}
