using System.Collections.Generic;

namespace Backends;

/// <summary>A validated <see cref="IKernels.TopKGating"/> call.</summary>
/// <param name="Logits">F32 [Tokens, Experts].</param>
/// <param name="Bias">F32 [Experts] or null.</param>
/// <param name="Weights">F32 [Tokens, K].</param>
/// <param name="Ids">I32 [Tokens, K].</param>
/// <param name="Tokens">T.</param>
/// <param name="Experts">E.</param>
/// <param name="K">Chosen per token.</param>
/// <param name="Options">The options.</param>
public sealed record GatingArgs(TensorView Logits, TensorView? Bias, TensorView Weights, TensorView Ids, int Tokens, int Experts, int K, GatingOptions Options) : OpArgs
{
    /// <inheritdoc />
    public override OpKind Op => OpKind.TopKGating;

    /// <inheritdoc />
    public override DType DType => Logits.DType;

    /// <inheritdoc />
    public override IEnumerable<OpOperand> Operands => Bias is null
        ? [new(Logits, "logits", false), new(Weights, "weights", false), new(Ids, "ids", false)]
        : [new(Logits, "logits", false), new(Bias, "bias", false), new(Weights, "weights", false), new(Ids, "ids", false)];

    /// <summary>Experts per group.</summary>
    public int GroupSize => Experts / Options.Groups;
}
