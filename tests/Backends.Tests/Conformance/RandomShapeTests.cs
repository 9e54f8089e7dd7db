using System;
using System.Collections.Generic;
using System.Linq;
using Backends.Conformance;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// Random shapes beyond the catalog's: for every device and op, <see cref="CasesPerOp"/> cases with every axis drawn
/// at random (sizes log-uniform with a bias to 0..3 and to vector and tile edges ± 2, every flag, row padding, special
/// values in a quarter of them), every contiguous tensor placed 0..11 elements into its buffer and a third of the cases
/// that can run in place run so (<see cref="OpCase.InPlaceChoices"/>), each checked against
/// the float64 reference like a catalog case. The shapes come from the run's base seed alone (the same on every
/// device); a failure names the shape, the case seed, the view offset and the base seed to replay. A run of this kind
/// found a process crash (OpenCL F16 views off a 16-byte boundary), a wrong reference (2-D causal softmax), two CANN
/// results against the contract (NaN weights of dropped slots, a zero-sum router) and position-dependent CPU tails.
/// </summary>
public sealed class RandomShapeTests
{
    /// <summary>Random cases per op and device.</summary>
    private const int CasesPerOp = 12;

    /// <summary>Cases above this many FLOPs are drawn again (the emulated CUDA device runs kernels slowly).</summary>
    private const double MaxFlops = 2e7;

    public static TheoryData<string, string> DeviceOps()
    {
        var data = new TheoryData<string, string>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (OpSpec spec in OpCatalog.All)
            {
                data.Add(id, spec.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DeviceOps))]
    public void RandomShapes_MatchFloat64Reference(string device, string op)
    {
        Device d = TestDevices.Get(device);
        OpSpec spec = OpCatalog.Get(op);
        using DeviceStream stream = d.CreateStream();
        OpCase? current = null;
        try
        {
            foreach ((OpCase c, int offset, InPlace? inPlace) in Cases(spec, ConformanceSuite.BaseSeed))
            {
                current = c;
                CheckResult r = ConformanceSuite.Run(d, stream, c, null, offset, inPlace);
                Assert.False(r.Unsupported, $"{device} refused a random case: {r.Detail}");
                Assert.True(r.Passed, $"{device}: {r.Detail} (view offset {offset}{(inPlace is null ? string.Empty : $", {inPlace} in place")}); {ConformanceSuite.ReplayHint()}");
            }
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.IAssertionException)
        {
            throw new InvalidOperationException($"{device} {op}: {ex.GetType().Name} after case [{current?.Description ?? "none yet"}]; {ConformanceSuite.ReplayHint()}", ex);
        }
    }

    /// <summary>The random cases of one op for a base seed: valid shapes only (a shape the catalog refuses is drawn again).</summary>
    internal static IEnumerable<(OpCase Case, int ViewOffset, InPlace? InPlace)> Cases(OpSpec spec, int baseSeed)
    {
        var rng = new Random(OpCatalog.StableSeed(baseSeed, "random-shapes", spec.Name));
        for (int made = 0, tries = 0; made < CasesPerOp && tries < 100 * CasesPerOp; tries++)
        {
            OpShape shape = RandomShape(spec, rng);
            DType dtype = spec.DTypes[rng.Next(spec.DTypes.Count)];
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

            if (c.Flops > MaxFlops || c.Tensors.Sum(t => t.Values.LongLength) > (1 << 20))
            {
                continue;
            }

            // A third of the cases that can run in place do (an output given an input's very view).
            IReadOnlyList<InPlace> choices = c.InPlaceChoices;
            int pick = rng.Next(3 * Math.Max(1, choices.Count));
            made++;
            yield return (c, offset, pick < choices.Count ? choices[pick] : null);
        }
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
                _ when a.Description.StartsWith("0", StringComparison.Ordinal) || a.Description.StartsWith("1:", StringComparison.Ordinal) => rng.Next(2),
                _ => Size(rng, 2100),
            };
        }

        switch (spec.Kind)
        {
            case OpKind.Rope:
                v["H"] = v["rank2"] == 1 ? 1 : rng.Next(1, 9);
                v["rot"] = rng.Next(2) == 0 ? 0 : 2 * rng.Next(1, (v["D"] / 2) + 1);
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
