using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>The catalog of the standard op set: one <see cref="OpSpec"/> per op, shared by the conformance suite and the benchmarks.</summary>
public static class OpCatalog
{
    /// <summary>Every op, in <see cref="OpKind"/> order.</summary>
    public static IReadOnlyList<OpSpec> All { get; } =
    [
        new GemmSpec(),
        new GroupedGemmSpec(),
        new SoftmaxSpec(),
        new RmsNormSpec(),
        new SiluSpec(),
        new SwiGluSpec(),
        new BinarySpec(add: true),
        new BinarySpec(add: false),
        new RopeSpec(),
        new TopKGatingSpec(),
        new MoePermuteSpec(),
        new MoeUnpermuteSpec(),
        new CastSpec(),
    ];

    /// <summary>The spec of an op.</summary>
    /// <param name="op">The op.</param>
    /// <returns>The spec.</returns>
    public static OpSpec Get(OpKind op) => All.First(s => s.Kind == op);

    /// <summary>Finds a spec by name (<c>gemm</c>, <c>topk-gating</c>, <c>TopKGating</c>).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ArgumentException">No op has that name.</exception>
    public static OpSpec Get(string name) =>
        OpContracts.TryParse(name, out OpKind op)
            ? Get(op)
            : throw new ArgumentException($"No op named '{name}'; ops: {string.Join(", ", All.Select(s => s.Name))}.", nameof(name));

    /// <summary>A stable seed for a case, derived from its identity, so a failure names a seed that reproduces it.</summary>
    /// <param name="parts">The identity: op, dtype, shape index, ...</param>
    /// <returns>A non-negative seed.</returns>
    public static int StableSeed(params object[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        uint h = 2166136261;
        foreach (char ch in string.Join("|", parts))
        {
            h = (h ^ ch) * 16777619;
        }

        return (int)(h & 0x7FFFFFFF);
    }
}
