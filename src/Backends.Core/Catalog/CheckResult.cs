namespace Backends;

/// <summary>The outcome of comparing a device's outputs with the float64 reference.</summary>
/// <param name="Passed">Whether every output is within tolerance.</param>
/// <param name="Error">The largest relative L2 error over the outputs (0 for exact outputs that match).</param>
/// <param name="Tolerance">The tolerance it was held to.</param>
/// <param name="Detail">What failed (output, index, expected, actual), or a short summary.</param>
public sealed record CheckResult(bool Passed, double Error, double Tolerance, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => Passed ? $"ok (error {Error:E2} ≤ {Tolerance:E1})" : $"FAILED: {Detail}";
}
