namespace Backends;

/// <summary>How <see cref="IKernels.TopKGating"/> turns router logits into scores.</summary>
public enum GatingScore
{
    /// <summary>Softmax over all experts (Mixtral, Qwen, DeepSeek-V2).</summary>
    Softmax,

    /// <summary>Independent sigmoid per expert (DeepSeek-V3); weights are always renormalised.</summary>
    Sigmoid,
}
