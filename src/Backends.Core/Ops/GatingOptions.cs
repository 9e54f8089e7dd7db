namespace Backends;

/// <summary>Options of <see cref="IKernels.TopKGating"/>: DeepSeek-V3's router, with plain softmax top-k as the special case.</summary>
public sealed record GatingOptions
{
    /// <summary>Experts chosen per token (k ≥ 1).</summary>
    public required int TopK { get; init; }

    /// <summary>Score function.</summary>
    public GatingScore Score { get; init; } = GatingScore.Softmax;

    /// <summary>Number of equal expert groups (must divide the expert count); 1 disables group-limited routing.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Groups kept per token (1 ≤ TopKGroups ≤ Groups).</summary>
    public int TopKGroups { get; init; } = 1;

    /// <summary>Renormalise the chosen weights to sum 1. Ignored for <see cref="GatingScore.Sigmoid"/>, which always renormalises.</summary>
    public bool Renormalize { get; init; }

    /// <summary>Routed scaling factor applied to the final weights (2.5 for DeepSeek-V3).</summary>
    public float RoutedScale { get; init; } = 1f;

    /// <summary>DeepSeek-V3's router: sigmoid, 8 groups keep 4, top-8, scale 2.5 (bias passed separately).</summary>
    public static GatingOptions DeepSeekV3 { get; } = new() { TopK = 8, Score = GatingScore.Sigmoid, Groups = 8, TopKGroups = 4, Renormalize = true, RoutedScale = 2.5f };

    /// <summary>Whether the final weights are renormalised (always for sigmoid).</summary>
    public bool EffectiveRenormalize => Score == GatingScore.Sigmoid || Renormalize;
}
