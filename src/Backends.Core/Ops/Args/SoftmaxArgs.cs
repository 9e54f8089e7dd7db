using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.Softmax"/> call.</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output (may be X).</param>
/// <param name="Rows">Number of rows (product of all but the last dimension).</param>
/// <param name="Cols">Row length.</param>
/// <param name="QueryRows">Size of dimension −2 (1 for rank 1): row r's query index is r mod QueryRows.</param>
/// <param name="Scale">Input multiplier.</param>
/// <param name="Causal">Whether the causal mask applies.</param>
public sealed record SoftmaxArgs(TensorView X, TensorView Y, long Rows, int Cols, int QueryRows, float Scale, bool Causal) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.Softmax;

    /// <inheritdoc />
    public override DType DType => X.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => [new(X, "x", true), new(Y, "y", true)];

    /// <summary>The number of columns row <paramref name="row"/> keeps (all of them without the mask; may be ≤ 0).</summary>
    /// <param name="row">The row.</param>
    /// <returns>Kept columns, clamped to [0, Cols].</returns>
    public int KeptColumns(long row)
    {
        if (!Causal)
        {
            return Cols;
        }

        long r = row % QueryRows;
        long kept = r + (Cols - QueryRows) + 1;
        return (int)System.Math.Clamp(kept, 0, Cols);
    }
}
