using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Backends.Conformance;

/// <summary>
/// Catalog entry of <see cref="IKernels.TopKGating"/>. The check accepts the device's choice when it equals the float64
/// reference, or differs only where scores are within 1e-5 of each other (F32 rounding may reorder near-ties); exact
/// ties must go to the lower id. Weights are checked against the float64 weights of the ids the device chose.
/// </summary>
internal sealed class TopKGatingSpec : OpSpec
{
    private const double NearTie = 1e-5;

    public override OpKind Kind => OpKind.TopKGating;

    public override string Formula => "ids = top-k(s + bias) in the best groups; w = s[ids] (renormalised) · scale";

    public override IReadOnlyList<OpAxis> Axes { get; } =
    [
        new("T", "tokens", 16),
        new("E", "experts", 256),
        new("k", "experts per token", 8),
        new("score", "0 softmax, 1 sigmoid", 1),
        new("groups", "expert groups", 8),
        new("kgroups", "groups kept", 4),
        new("bias", "1: correction bias", 1),
        new("renorm", "1: renormalise (always for sigmoid)", 1),
        new("scale100", "routed scale × 100", 250),
    ];

    public override IReadOnlyList<string> PrimaryAxes { get; } = ["T", "E", "k"];

    public override OpShape DefaultShape => S(2048, 256, 8);

    public override OpShape? SpecialShape => S(12, 64, 6, 1, 8, 3, 1, 1, 100);

    public override IReadOnlyList<OpShape> ConformanceShapes(DType dtype) =>
    [
        S(17, 8, 2, 0, 1, 1, 0, 1, 100),      // Mixtral
        S(33, 64, 6, 0, 1, 1, 0, 0, 100),     // DeepSeek-V2-Lite
        S(16, 256, 8, 1, 8, 4, 1, 1, 250),    // DeepSeek-V3
        S(1, 256, 8, 1, 8, 4, 1, 1, 250),
        S(9, 64, 4, 0, 8, 3, 0, 0, 100),      // groups without bias: group score = max
        S(5, 16, 3, 1, 1, 1, 1, 1, 100),      // sigmoid, bias, no groups
        S(3, 4, 4, 0, 1, 1, 0, 1, 100),       // k = E
        S(2, 1, 1, 0, 1, 1, 0, 0, 100),       // one expert
        S(40, 160, 6, 0, 8, 3, 1, 1, 160),    // softmax with bias and groups
        S(7, 33, 5, 1, 1, 1, 0, 0, 100),      // odd expert count
        S(3, 16384, 8, 1, 8, 4, 1, 1, 250),   // expert counts beyond private memory on OpenCL
        S(2, 65536, 4, 0, 1, 1, 0, 1, 100),
    ];

    internal override OpCase Build(CaseBuilder b)
    {
        int t = b["T"], experts = b["E"], k = b["k"];
        bool hasBias = b["bias"] != 0;
        var options = new GatingOptions
        {
            TopK = k,
            Score = b["score"] == 0 ? GatingScore.Softmax : GatingScore.Sigmoid,
            Groups = b["groups"],
            TopKGroups = b["kgroups"],
            Renormalize = b["renorm"] != 0,
            RoutedScale = b["scale100"] / 100f,
        };
        double[] logits = b.Uniform((long)t * experts, -3, 3);
        double[] bias = hasBias ? b.Uniform(experts, -0.2, 0.2) : [];
        if (b.Specials)
        {
            PlantSpecials(b, logits, bias, t, experts);
        }

        logits = b.Input("logits", DType.F32, [t, experts], logits);
        if (hasBias)
        {
            bias = b.Input("bias", DType.F32, [experts], bias);
        }

        b.Output("weights", DType.F32, [t, k], CompareMode.Custom);
        b.Output("ids", DType.I32, [t, k], CompareMode.Custom);
        return b.Build(
            10.0 * t * experts,
            (kn, s, v) => kn.TopKGating(s, v("logits"), hasBias ? v("bias") : null, v("weights"), v("ids"), options),
            get =>
            {
                var w = new double[t * k];
                var ids = new int[t * k];
                ReferenceOps.TopKGating(get("logits"), hasBias ? get("bias") : [], w, ids, t, experts, options);
                return new() { ["weights"] = w, ["ids"] = CaseBuilder.ToDoubles(ids) };
            },
            (c, actual) => Check(c, actual, t, experts, options, hasBias));
    }

    private static void PlantSpecials(CaseBuilder b, double[] logits, double[] bias, int t, int experts)
    {
        // Exact ties (same logit and bias) across the choice boundary, NaN / ±inf logits in single tokens, a token of only −∞.
        for (int i = 0; i < t; i++)
        {
            int e1 = b.Rng.Next(experts), e2 = b.Rng.Next(experts);
            logits[(i * experts) + e2] = logits[(i * experts) + e1] = 2.5;
            if (bias.Length > 0)
            {
                bias[e2] = bias[e1];
            }
        }

        if (t >= 4)
        {
            logits[(1 * experts) + Math.Min(3, experts - 1)] = double.NaN; // (any expert count: the shape is a user's to choose)
            logits[(2 * experts) + Math.Min(1, experts - 1)] = double.PositiveInfinity;
            logits[(3 * experts) + Math.Min(2, experts - 1)] = double.NegativeInfinity;
        }

        if (t >= 5)
        {
            // Every logit −∞: the chosen scores sum to 0, and the renormalised weights are 0/0 = NaN (no epsilon).
            Array.Fill(logits, double.NegativeInfinity, 4 * experts, experts);
        }
    }

    private static CheckResult Check(OpCase c, Func<string, double[]> actual, int t, int experts, GatingOptions o, bool hasBias)
    {
        int k = o.TopK;
        double[] ids = actual("ids"), weights = actual("weights");
        double[] refIds = c.Expected["ids"];
        double[] logits = c.Tensor("logits").Values;
        double[] bias = hasBias ? c.Tensor("bias").Values : [];
        var s = new double[experts];
        var key = new double[experts];
        var expectW = new double[t * k];
        int size = experts / o.Groups;
        for (int i = 0; i < t; i++)
        {
            ReferenceOps.GatingScores(logits.AsSpan(i * experts, experts), bias, o.Score, s, key);
            var chosen = new int[k];
            for (int j = 0; j < k; j++)
            {
                double d = ids[(i * k) + j];
                if (!(d >= 0 && d < experts) || d != Math.Floor(d))
                {
                    return Fail($"ids[{i},{j}] = {d} is not an expert id in [0,{experts})");
                }

                chosen[j] = (int)d;
            }

            if (chosen.Distinct().Count() != k)
            {
                return Fail($"token {i} chose an expert twice: [{string.Join(",", chosen)}]");
            }

            bool sameAsRef = Enumerable.Range(0, k).All(j => refIds[(i * k) + j] == chosen[j]);
            if (!sameAsRef)
            {
                string? why = NearTieOnly(i, chosen, key, experts, size, o, hasBias);
                if (why is not null)
                {
                    return Fail($"token {i}: ids [{string.Join(",", chosen)}], reference [{string.Join(",", Enumerable.Range(0, k).Select(j => refIds[(i * k) + j]))}]: {why}");
                }
            }

            double sum = chosen.Sum(e => s[e]);
            for (int j = 0; j < k; j++)
            {
                expectW[(i * k) + j] = (o.EffectiveRenormalize ? s[chosen[j]] / sum : s[chosen[j]]) * o.RoutedScale;
            }
        }

        CheckResult w = Comparison.Norm("weights", weights, expectW, c.Spec.Tolerance(DType.F32));
        return w.Passed ? new CheckResult(true, w.Error, w.Tolerance, "ids and weights") : w;

        static CheckResult Fail(string detail) => new(false, double.PositiveInfinity, NearTie, detail);
    }

    /// <summary>Null when the device's choice differs from the reference only at near-ties; else why not.</summary>
    private static string? NearTieOnly(int token, int[] chosen, double[] key, int experts, int size, GatingOptions o, bool hasBias)
    {
        ReferenceOps.KeptGroups(key, experts, o, hasBias, out double[] gs);
        double groupCut = o.Groups == 1 ? double.NegativeInfinity : gs.OrderByDescending(g => g).ElementAt(o.TopKGroups - 1);
        var keptByDevice = new HashSet<int>(chosen.Select(e => e / size));
        foreach (int g in keptByDevice)
        {
            if (o.Groups > 1 && gs[g] < groupCut - NearTie)
            {
                return string.Create(CultureInfo.InvariantCulture, $"group {g} (score {gs[g]:R}) is below the kept-group cut {groupCut:R}");
            }
        }

        for (int j = 0; j + 1 < chosen.Length; j++)
        {
            double a = key[chosen[j]], b2 = key[chosen[j + 1]];
            if (a < b2 - NearTie || (a == b2 && chosen[j] > chosen[j + 1]))
            {
                return $"not in descending order at position {j}";
            }
        }

        double minChosen = chosen.Min(e => key[e]);
        for (int e = 0; e < experts; e++)
        {
            if (chosen.Contains(e))
            {
                continue;
            }

            int g = e / size;
            bool surelyKept = keptByDevice.Contains(g) || o.Groups == 1 || gs[g] > groupCut + NearTie;
            if (!surelyKept)
            {
                continue;
            }

            if (key[e] > minChosen + NearTie)
            {
                return string.Create(CultureInfo.InvariantCulture, $"expert {e} (key {key[e]:R}) beats the chosen minimum {minChosen:R}");
            }

            if (keptByDevice.Contains(g) && chosen.Any(c => key[c] == key[e] && c > e))
            {
                return $"expert {e} ties exactly with a chosen higher id: ties must go to the lower id";
            }
        }

        return null;
    }
}
