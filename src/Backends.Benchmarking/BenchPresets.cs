using System;
using System.Collections.Generic;
using System.Linq;
using Backends.Conformance;

namespace Backends.Benchmarking;

/// <summary>
/// Named sets of benchmark cases. <c>default</c>: every op at its default shape. <c>square</c>: GEMM 256³ … 4096³.
/// <c>moe-decode</c> (1, 16, 128 tokens) and <c>moe-prefill</c> (512, 2048 tokens): the ops of one DeepSeek-V3 MoE
/// layer (hidden 7168, expert FFN 2048, 256 routed experts, top-8, sigmoid router with groups), plus the GEMV-like
/// single-expert GEMMs of decoding. The expert weights of all 256 experts (30 GiB in F32) do not fit this class of
/// machine, so the grouped GEMMs keep <see cref="ResidentExperts"/> experts resident and route the tokens' 8 choices
/// among them; the router and its top-k still run over all 256.
/// </summary>
public static class BenchPresets
{
    /// <summary>DeepSeek-V3 hidden size.</summary>
    public const int Hidden = 7168;

    /// <summary>DeepSeek-V3 routed-expert FFN size.</summary>
    public const int Ffn = 2048;

    /// <summary>DeepSeek-V3 routed experts.</summary>
    public const int Experts = 256;

    /// <summary>Experts per token.</summary>
    public const int TopK = 8;

    /// <summary>Expert weights kept in memory by the grouped-GEMM cases (1.9 GB per projection in F32, under PoCL's 2 GiB allocation limit).</summary>
    public const int ResidentExperts = 32;

    private static readonly int[] SquareSizes = [256, 512, 1024, 2048, 4096];

    /// <summary>The preset names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["default", "square", "moe-decode", "moe-prefill"];

    /// <summary>The cases of a preset.</summary>
    /// <param name="name">The preset name.</param>
    /// <returns>The cases.</returns>
    /// <exception cref="ArgumentException">No such preset.</exception>
    public static IReadOnlyList<BenchItem> Get(string name) => name switch
    {
        "default" => OpCatalog.All.Select(s => new BenchItem(s, s.DefaultShape, "default shape")).ToList(),
        "square" => SquareSizes.Select(n => Gemm(n, n, n, false, $"square {n}³")).ToList(),
        "moe-decode" => Moe([1, 16, 128], decode: true),
        "moe-prefill" => Moe([512, 2048], decode: false),
        _ => throw new ArgumentException($"No preset '{name}'; presets: {string.Join(", ", Names)}.", nameof(name)),
    };

    private static List<BenchItem> Moe(int[] tokens, bool decode)
    {
        var items = new List<BenchItem>();
        foreach (int t in tokens)
        {
            int rows = t * TopK;
            string at = $"{t} token{(t == 1 ? string.Empty : "s")}";
            items.Add(Item(OpKind.RmsNorm, $"pre-MoE norm, {at}", ("rows", t), ("cols", Hidden)));
            items.Add(Gemm(t, Experts, Hidden, true, $"router logits, {at}"));
            items.Add(Item(OpKind.TopKGating, $"router top-8 (V3), {at}", ("T", t), ("E", Experts), ("k", TopK), ("score", 1), ("groups", 8),
                ("kgroups", 4), ("bias", 1), ("renorm", 1), ("scale100", 250)));
            items.Add(Item(OpKind.MoePermute, $"permute, {at}", ("T", t), ("H", Hidden), ("k", TopK), ("E", ResidentExperts)));
            items.Add(Item(OpKind.GroupedGemm, $"experts gate/up, {at}", ("R", rows), ("N", Ffn), ("K", Hidden), ("E", ResidentExperts), ("tb", 1)));
            items.Add(Item(OpKind.SwiGlu, $"experts SwiGLU, {at}", ("rows", rows), ("cols", Ffn)));
            items.Add(Item(OpKind.GroupedGemm, $"experts down, {at}", ("R", rows), ("N", Hidden), ("K", Ffn), ("E", ResidentExperts), ("tb", 1)));
            items.Add(Item(OpKind.MoeUnpermute, $"unpermute, {at}", ("T", t), ("H", Hidden), ("k", TopK)));
        }

        if (decode)
        {
            // One expert, one token: the GEMV-like shapes that bound decoding by memory bandwidth.
            items.Add(Gemm(1, Ffn, Hidden, true, "one expert up, GEMV"));
            items.Add(Gemm(1, Hidden, Ffn, true, "one expert down, GEMV"));
            items.Add(Gemm(4, Ffn, Hidden, true, "one expert up, 4 rows"));
        }

        return items;
    }

    private static BenchItem Gemm(int m, int n, int k, bool transB, string label) =>
        Item(OpKind.Gemm, label, ("M", m), ("N", n), ("K", k), ("tb", transB ? 1 : 0));

    private static BenchItem Item(OpKind op, string label, params (string Axis, int Value)[] values)
    {
        OpSpec spec = OpCatalog.Get(op);
        OpShape shape = spec.DefaultShape;
        foreach ((string axis, int value) in values)
        {
            shape = shape.With(axis, value);
        }

        return new BenchItem(spec, shape, label);
    }
}
