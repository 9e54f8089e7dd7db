namespace Backends;

/// <summary>Options of <see cref="IKernels.Softmax"/>.</summary>
public sealed record SoftmaxOptions
{
    /// <summary>Multiplier applied to x before the softmax (1/sqrt(d) for attention scores).</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>
    /// Causal mask: for a view [..., R, N], row r (its index within dimension -2) keeps columns j ≤ r + (N − R)
    /// (queries aligned to the end of the keys, as when decoding with a KV cache); masked columns get 0.
    /// </summary>
    public bool Causal { get; init; }

    /// <summary>The defaults: scale 1, no mask.</summary>
    public static SoftmaxOptions Default { get; } = new();
}
