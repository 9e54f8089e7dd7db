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

    /// <summary>The data types an op's contract allows (the dtype passed to <see cref="IKernels.Supports(OpKind, DType)"/>).</summary>
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

    /// <summary>
    /// The effective group boundaries of <see cref="IKernels.GroupedGemm"/>: each offset clamped to [0, rows] and to at
    /// least the one before, so groups never overlap.
    /// </summary>
    /// <param name="offsets">The raw offsets, E+1 values.</param>
    /// <param name="rows">R, the rows of the activations.</param>
    /// <returns>E+1 non-decreasing boundaries in [0, R].</returns>
    public static int[] EffectiveOffsets(ReadOnlySpan<int> offsets, int rows)
    {
        var eff = new int[offsets.Length];
        int prev = 0;
        for (int e = 0; e < offsets.Length; e++)
        {
            int v = Math.Clamp(offsets[e], 0, rows);
            prev = e == 0 ? v : Math.Max(prev, v);
            eff[e] = prev;
        }

        return eff;
    }

    /// <summary>
    /// The RoPE inverse frequency of <see cref="IKernels.Rope"/>: inv_freq_p = θ^(−2p/rotaryDims), computed in double and
    /// rounded once to F32. Every backend uses exactly this value (computed on the host).
    /// </summary>
    /// <param name="theta">Frequency base.</param>
    /// <param name="pair">Pair index p.</param>
    /// <param name="rotaryDims">Rotated dimensions.</param>
    /// <returns>The F32 inverse frequency.</returns>
    public static float RopeInverseFrequency(double theta, int pair, int rotaryDims) => (float)Math.Pow(theta, -2.0 * pair / rotaryDims);

    /// <summary>The RoPE angle of <see cref="IKernels.Rope"/>: angle = fl32(pos · inv_freq), the F32 product, as every backend computes it.</summary>
    /// <param name="position">The token position.</param>
    /// <param name="inverseFrequency">The F32 inverse frequency (<see cref="RopeInverseFrequency"/>).</param>
    /// <returns>The angle in radians (an F32 value).</returns>
    public static float RopeAngle(int position, float inverseFrequency) => (float)position * inverseFrequency;
}
