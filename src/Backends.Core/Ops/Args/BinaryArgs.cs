namespace Backends;

/// <summary>A validated <see cref="IKernels.Add"/> or <see cref="IKernels.Mul"/> call: y[i] = a[i] op b[i mod BCount].</summary>
/// <param name="A">First operand.</param>
/// <param name="B">Second operand.</param>
/// <param name="Y">Output.</param>
/// <param name="Count">Elements of a and y.</param>
/// <param name="BCount">Elements of b (the broadcast period), ≥ 1 when Count &gt; 0.</param>
public sealed record BinaryArgs(TensorView A, TensorView B, TensorView Y, long Count, long BCount);
