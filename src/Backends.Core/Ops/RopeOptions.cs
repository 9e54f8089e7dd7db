namespace Backends;

/// <summary>Options of <see cref="IKernels.Rope"/>.</summary>
public sealed record RopeOptions
{
    /// <summary>The frequency base θ: pair p turns by position·θ^(−2p/rotaryDims). Must be &gt; 0.</summary>
    public float Theta { get; init; } = 10000f;

    /// <summary>How dimensions are paired.</summary>
    public RopeLayout Layout { get; init; } = RopeLayout.HalfSplit;

    /// <summary>How many leading dimensions of each head rotate (even, ≤ head size); 0 means all. The rest are copied.</summary>
    public int RotaryDims { get; init; }

    /// <summary>The defaults: θ = 10000, half-split, whole head.</summary>
    public static RopeOptions Default { get; } = new();
}
