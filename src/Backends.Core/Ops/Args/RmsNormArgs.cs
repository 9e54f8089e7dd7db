using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.RmsNorm"/> call.</summary>
/// <param name="X">Input.</param>
/// <param name="Gamma">Scale [Cols].</param>
/// <param name="Y">Output (may be X).</param>
/// <param name="Rows">Number of rows.</param>
/// <param name="Cols">Row length.</param>
/// <param name="Eps">Epsilon.</param>
public sealed record RmsNormArgs(TensorView X, TensorView Gamma, TensorView Y, long Rows, int Cols, float Eps) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.RmsNorm;

    /// <inheritdoc />
    public override DType DType => X.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(X, "x", true), new(Gamma, "gamma", false), new(Y, "y", true)];
}
