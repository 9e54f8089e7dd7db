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
public sealed record GatingArgs(TensorView Logits, TensorView? Bias, TensorView Weights, TensorView Ids, int Tokens, int Experts, int K, GatingOptions Options)
{
    /// <summary>Experts per group.</summary>
    public int GroupSize => Experts / Options.Groups;
}
