using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.MoeUnpermute"/> call.</summary>
/// <param name="ExpertOutput">[R,H].</param>
/// <param name="SlotOf">I32 [T,K].</param>
/// <param name="Weights">F32 [T,K].</param>
/// <param name="Output">[T,H].</param>
/// <param name="T">Tokens.</param>
/// <param name="H">Hidden size.</param>
/// <param name="K">Choices per token.</param>
/// <param name="Rows">R.</param>
public sealed record UnpermuteArgs(TensorView ExpertOutput, TensorView SlotOf, TensorView Weights, TensorView Output, int T, int H, int K, int Rows) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.MoeUnpermute;

    /// <inheritdoc />
    public override DType DType => ExpertOutput.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands =>
        [new(ExpertOutput, "expertOutput", false), new(SlotOf, "slotOf", false), new(Weights, "weights", false), new(Output, "output", false)];
}
