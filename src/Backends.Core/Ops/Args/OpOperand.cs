namespace Backends;

/// <summary>One view of an op call.</summary>
/// <param name="View">The view.</param>
/// <param name="Name">The argument name (<c>a</c>, <c>x</c>, <c>expertOffsets</c>).</param>
/// <param name="MayBeStrided">Whether the op's contract accepts a row-strided (non-contiguous) view here.</param>
public readonly record struct OpOperand(TensorView View, string Name, bool MayBeStrided);
