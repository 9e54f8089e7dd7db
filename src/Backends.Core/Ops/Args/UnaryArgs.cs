namespace Backends;

/// <summary>A validated elementwise call with one input (<see cref="IKernels.Silu"/>).</summary>
/// <param name="X">Input.</param>
/// <param name="Y">Output (may be X).</param>
/// <param name="Count">Element count.</param>
public sealed record UnaryArgs(TensorView X, TensorView Y, long Count);
