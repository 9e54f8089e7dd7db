using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.Rope"/> call.</summary>
/// <param name="X">Input.</param>
/// <param name="Positions">I32 [Tokens].</param>
/// <param name="Y">Output (may be X).</param>
/// <param name="Tokens">T.</param>
/// <param name="Heads">H (1 for a rank-2 x).</param>
/// <param name="HeadDim">D.</param>
/// <param name="RotaryDims">Rotated dimensions, even, ≤ D.</param>
/// <param name="Theta">Frequency base.</param>
/// <param name="Layout">Pairing.</param>
public sealed record RopeArgs(TensorView X, TensorView Positions, TensorView Y, int Tokens, int Heads, int HeadDim, int RotaryDims, float Theta, RopeLayout Layout) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.Rope;

    /// <inheritdoc />
    public override DType DType => X.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(X, "x", true), new(Positions, "positions", false), new(Y, "y", true)];
}
