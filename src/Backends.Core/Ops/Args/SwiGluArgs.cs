namespace Backends;

/// <summary>A validated <see cref="IKernels.SwiGlu"/> call.</summary>
/// <param name="Gate">Gate input.</param>
/// <param name="Up">Up input.</param>
/// <param name="Y">Output.</param>
/// <param name="Count">Element count.</param>
public sealed record SwiGluArgs(TensorView Gate, TensorView Up, TensorView Y, long Count);
