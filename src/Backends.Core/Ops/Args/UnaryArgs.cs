using System.Collections.Generic;

namespace Backends;

/// <summary>A validated elementwise call with one input (<see cref="IKernels.Silu"/>).</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output (may be X).</param>
/// <param name="Count">Element count.</param>
public sealed record UnaryArgs(TensorView X, TensorView Y, long Count) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.Silu;

    /// <inheritdoc />
    public override DType DType => X.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(X, "x", true), new(Y, "y", true)];

    /// <summary>Whether every view is contiguous (one flat range each).</summary>
    public bool Contiguous => X.IsContiguous && Y.IsContiguous;
}
