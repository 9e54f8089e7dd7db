namespace Backends;

/// <summary>A validated <see cref="IKernels.Cast"/> call.</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output.</param>
/// <param name="Count">Element count.</param>
public sealed record CastArgs(TensorView X, TensorView Y, long Count);
