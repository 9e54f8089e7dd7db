namespace Backends;

/// <summary>How <see cref="IKernels.Rope"/> pairs the dimensions it rotates.</summary>
public enum RopeLayout
{
    /// <summary>Pairs (2p, 2p+1), as in the original RoFormer and GPT-J.</summary>
    Interleaved,

    /// <summary>Pairs (p, p + rotary/2), as in GPT-NeoX and Llama (rotate_half).</summary>
    HalfSplit,
}
