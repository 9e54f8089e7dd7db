namespace Backends;

/// <summary>Layout flag of <see cref="IKernels.GroupedGemm"/>.</summary>
public sealed record GroupedGemmOptions
{
    /// <summary>Whether the expert weights are [E, N, K] (true, the default, as PyTorch Linear weights) or [E, K, N].</summary>
    public bool TransB { get; init; } = true;

    /// <summary>The defaults: weights [E, N, K].</summary>
    public static GroupedGemmOptions Default { get; } = new();
}
