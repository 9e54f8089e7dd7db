namespace Backends.Conformance;

/// <summary>The outcome of comparing a device's outputs with the float64 reference.</summary>
/// <param name="Passed">Whether every output is within tolerance.</param>
/// <param name="Error">The largest relative L2 error over the outputs (0 for exact outputs that match).</param>
/// <param name="Tolerance">The tolerance it was held to.</param>
/// <param name="Detail">What failed (output, index, expected, actual), or a short summary.</param>
public sealed record CheckResult(bool Passed, double Error, double Tolerance, string Detail)
{
    /// <summary>
    /// Whether the device answered the case as unsupported (<see cref="UnsupportedOpException"/> before anything was
    /// queued): not a failure, and not a pass. <see cref="Passed"/> is false.
    /// </summary>
    public bool Unsupported { get; init; }

    /// <summary>The result of a case the device does not claim.</summary>
    /// <param name="detail">Why (the exception's message).</param>
    /// <returns>The result.</returns>
    public static CheckResult NotSupported(string detail) => new(false, 0, 0, detail) { Unsupported = true };

    /// <inheritdoc />
    public override string ToString() => Unsupported ? $"unsupported: {Detail}" : Passed ? $"ok (error {Error:E2} ≤ {Tolerance:E1})" : $"FAILED: {Detail}";
}
