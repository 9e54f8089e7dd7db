using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.MoePermute"/> call.</summary>
/// <param name="Tokens">[T,H].</param>
/// <param name="Ids">I32 [T,K].</param>
/// <param name="Permuted">[T·K,H].</param>
/// <param name="RowSource">I32 [T·K].</param>
/// <param name="SlotOf">I32 [T,K].</param>
/// <param name="ExpertOffsets">I32 [E+1].</param>
/// <param name="T">Tokens.</param>
/// <param name="H">Hidden size.</param>
/// <param name="K">Choices per token.</param>
/// <param name="Experts">E.</param>
public sealed record PermuteArgs(TensorView Tokens, TensorView Ids, TensorView Permuted, TensorView RowSource, TensorView SlotOf, TensorView ExpertOffsets, int T, int H, int K, int Experts) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.MoePermute;

    /// <inheritdoc />
    public override DType DType => Tokens.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands =>
    [
        new(Tokens, "tokens", false), new(Ids, "ids", false), new(Permuted, "permuted", false),
        new(RowSource, "rowSource", false), new(SlotOf, "slotOf", false), new(ExpertOffsets, "expertOffsets", false),
    ];
}
