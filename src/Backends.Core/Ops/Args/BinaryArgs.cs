using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.Add"/> or <see cref="IKernels.Mul"/> call: y[i] = a[i] op b[i mod BCount].</summary>
/// <param name="Op">Add or Mul.</param>
/// <param name="A">First operand.</param>
/// <param name="B">Second operand.</param>
/// <param name="Y">Output.</param>
/// <param name="Count">Elements of a and y.</param>
/// <param name="BCount">Elements of b (the broadcast period), ≥ 1 when Count &gt; 0.</param>
public sealed record BinaryArgs(OpKind Op, TensorView A, TensorView B, TensorView Y, long Count, long BCount) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op { get; } = Op;

    /// <inheritdoc />
    public override DType DType => A.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(A, "a", true), new(B, "b", true), new(Y, "y", true)];

    /// <summary>Whether every view is contiguous (one flat range each).</summary>
    public bool Contiguous => A.IsContiguous && B.IsContiguous && Y.IsContiguous;
}
