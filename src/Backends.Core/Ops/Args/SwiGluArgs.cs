using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.SwiGlu"/> call.</summary>
/// <param name="Gate">Gate input.</param>
/// <param name="Up">Up input.</param>
/// <param name="Y">Output.</param>
/// <param name="Count">Element count.</param>
public sealed record SwiGluArgs(TensorView Gate, TensorView Up, TensorView Y, long Count) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.SwiGlu;

    /// <inheritdoc />
    public override DType DType => Gate.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(Gate, "gate", true), new(Up, "up", true), new(Y, "y", true)];

    /// <summary>Whether every view is contiguous (one flat range each).</summary>
    public bool Contiguous => Gate.IsContiguous && Up.IsContiguous && Y.IsContiguous;
}
