using Backends.Conformance;
namespace Backends.Benchmarking;

/// <summary>One op at one shape, as listed by a preset.</summary>
/// <param name="Spec">The op.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Label">What the case stands for in the model (<c>expert up, 16 tokens</c>).</param>
public sealed record BenchItem(OpSpec Spec, OpShape Shape, string Label);
