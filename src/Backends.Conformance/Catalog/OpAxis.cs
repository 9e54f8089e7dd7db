namespace Backends.Conformance;

/// <summary>A named integer parameter of an op's shape (M, N, K, rows, experts, a 0/1 flag such as transA).</summary>
/// <param name="Name">The axis name as written in shapes (<c>M</c>, <c>ta</c>).</param>
/// <param name="Description">What it means.</param>
/// <param name="Default">The value used when a shape leaves it out.</param>
public sealed record OpAxis(string Name, string Description, int Default);
