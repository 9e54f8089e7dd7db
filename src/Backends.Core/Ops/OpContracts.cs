using System;
using System.Collections.Generic;

namespace Backends;

/// <summary>What the contracts of the standard op set allow, independent of any device.</summary>
public static class OpContracts
{
    private static readonly DType[] Floats = [DType.F32, DType.F16, DType.BF16];
    private static readonly DType[] F32Only = [DType.F32];

    /// <summary>Every op of the set, in declaration order.</summary>
    public static IReadOnlyList<OpKind> AllOps { get; } = Enum.GetValues<OpKind>();

    /// <summary>The data types an op's contract allows (the dtype passed to <see cref="IKernels.Supports"/>).</summary>
    /// <param name="op">The op.</param>
    /// <returns>The dtypes.</returns>
    public static IReadOnlyList<DType> DataTypes(OpKind op) => op == OpKind.TopKGating ? F32Only : Floats;

    /// <summary>The lower-case name of an op as used on the command line (<c>gemm</c>, <c>topk-gating</c>).</summary>
    /// <param name="op">The op.</param>
    /// <returns>The name.</returns>
    public static string Name(OpKind op) => op switch
    {
        OpKind.Gemm => "gemm",
        OpKind.GroupedGemm => "grouped-gemm",
        OpKind.Softmax => "softmax",
        OpKind.RmsNorm => "rmsnorm",
        OpKind.Silu => "silu",
        OpKind.SwiGlu => "swiglu",
        OpKind.Add => "add",
        OpKind.Mul => "mul",
        OpKind.Rope => "rope",
        OpKind.TopKGating => "topk-gating",
        OpKind.MoePermute => "moe-permute",
        OpKind.MoeUnpermute => "moe-unpermute",
        OpKind.Cast => "cast",
        _ => op.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses an op name (<c>gemm</c>, <c>topk-gating</c>, or the enum name), case-insensitively.</summary>
    /// <param name="text">The text.</param>
    /// <param name="op">The op.</param>
    /// <returns>Whether the text named an op.</returns>
    public static bool TryParse(string? text, out OpKind op)
    {
        foreach (OpKind k in AllOps)
        {
            if (string.Equals(text, Name(k), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(text, k.ToString(), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(text?.Replace("-", string.Empty, StringComparison.Ordinal), k.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                op = k;
                return true;
            }
        }

        op = default;
        return false;
    }
}
