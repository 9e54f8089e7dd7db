namespace Backends;

/// <summary>Scalars and layout flags of <see cref="IKernels.Gemm"/>.</summary>
public sealed record GemmOptions
{
    /// <summary>Whether A is stored transposed: [K, M] instead of [M, K].</summary>
    public bool TransA { get; init; }

    /// <summary>Whether B is stored transposed: [N, K] instead of [K, N] (a PyTorch Linear weight is [N, K]).</summary>
    public bool TransB { get; init; }

    /// <summary>Multiplier of the product.</summary>
    public float Alpha { get; init; } = 1f;

    /// <summary>Multiplier of the old C. When 0, C is not read (NaN in C does not propagate).</summary>
    public float Beta { get; init; }

    /// <summary>The defaults: no transposes, alpha 1, beta 0.</summary>
    public static GemmOptions Default { get; } = new();
}
