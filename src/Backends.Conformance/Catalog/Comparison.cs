using System;
using System.Globalization;

namespace Backends.Conformance;

/// <summary>Comparisons of device outputs with float64 references.</summary>
public static class Comparison
{
    /// <summary>
    /// Norm comparison: NaN and ±∞ must sit exactly where the reference has them (so a poisoned, unwritten element
    /// fails); over the finite elements, ‖actual − expected‖₂ / ‖expected‖₂ ≤ tolerance, and every element satisfies
    /// |actual − expected| ≤ 10·tolerance·(|expected| + rms(expected)).
    /// </summary>
    /// <param name="name">The output's name, for the message.</param>
    /// <param name="actual">Device values.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="tolerance">Relative L2 tolerance.</param>
    /// <returns>The result.</returns>
    public static CheckResult Norm(string name, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance) =>
        Norm(name, actual, expected, tolerance, default);

    /// <summary>
    /// <see cref="Norm(string, ReadOnlySpan{double}, ReadOnlySpan{double}, double)"/> with a rounding floor per element:
    /// an element's error counts, in both checks, only past <paramref name="floor"/>[i] (the error its float32
    /// arithmetic may make however correct it is, as <see cref="DotRoundingFloor"/> gives for dot products; an empty
    /// span, or a floor that is not finite, counts as 0). A GEMM output that is a small difference of large terms
    /// carries far more rounding error than its own size suggests.
    /// </summary>
    /// <param name="name">The output's name, for the message.</param>
    /// <param name="actual">Device values.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="tolerance">Relative L2 tolerance.</param>
    /// <param name="floor">Per-element rounding floor (absolute), or empty.</param>
    /// <returns>The result.</returns>
    public static CheckResult Norm(string name, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance, ReadOnlySpan<double> floor)
    {
        if (!floor.IsEmpty && floor.Length != expected.Length)
        {
            throw new ArgumentException($"{name}: {floor.Length} floors for {expected.Length} values.", nameof(floor));
        }

        if (actual.Length != expected.Length)
        {
            return new CheckResult(false, double.PositiveInfinity, tolerance, $"{name}: {actual.Length} values, expected {expected.Length}");
        }

        double diff2 = 0, ref2 = 0;
        int finite = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e))
            {
                if (!double.IsNaN(a))
                {
                    return Fail(name, i, e, a, tolerance, "expected NaN");
                }

                continue;
            }

            if (double.IsInfinity(e))
            {
                if (a != e)
                {
                    return Fail(name, i, e, a, tolerance, "expected infinity");
                }

                continue;
            }

            if (!double.IsFinite(a))
            {
                return Fail(name, i, e, a, tolerance, double.IsNaN(a) ? "NaN where a number was expected (unwritten or wrong)" : "infinity where a number was expected");
            }

            double d = Excess(a, e, floor, i);
            diff2 += d * d;
            ref2 += e * e;
            finite++;
        }

        double rms = finite == 0 ? 0 : Math.Sqrt(ref2 / finite);
        double bound = 10 * tolerance;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsFinite(e) && Excess(a, e, floor, i) > bound * (Math.Abs(e) + rms) && Math.Abs(a - e) > 1e-30)
            {
                return Fail(name, i, e, a, tolerance, $"element error above {bound:E1}·(|expected| + rms)");
            }
        }

        double err = diff2 == 0 ? 0 : Math.Sqrt(diff2) / Math.Max(Math.Sqrt(ref2), 1e-30);
        return err <= tolerance
            ? new CheckResult(true, err, tolerance, name)
            : new CheckResult(false, err, tolerance, $"{name}: relative L2 error {err:E3} > {tolerance:E1}");
    }

    /// <summary>
    /// The rounding floor of dot products accumulated in float32: 2·2⁻²⁴·√K·|scale|·√(Σ_q (a_q·b_q)²) per output, given
    /// Σ_q (a_q·b_q)² (the same reference run on the squared inputs). A sum of K terms rounded at every step drifts like
    /// a random walk whose steps are 2⁻²⁴ of the partial sums, and the partial sums of terms that cancel stay near
    /// √(Σ t²); blocked sums drift less. Where the terms do not cancel, |expected| is the larger bound anyway.
    /// </summary>
    /// <param name="sumsOfSquaredTerms">Σ_q (a_q·b_q)² per output (overwritten with the floors).</param>
    /// <param name="k">Terms per dot product.</param>
    /// <param name="scale">The factor applied to each dot product (GEMM's alpha).</param>
    /// <returns><paramref name="sumsOfSquaredTerms"/>, now the floors.</returns>
    public static double[] DotRoundingFloor(double[] sumsOfSquaredTerms, int k, double scale)
    {
        ArgumentNullException.ThrowIfNull(sumsOfSquaredTerms);
        double f = 2 * Math.ScaleB(1, -24) * Math.Sqrt(Math.Max(k, 1)) * Math.Abs(scale);
        for (int i = 0; i < sumsOfSquaredTerms.Length; i++)
        {
            sumsOfSquaredTerms[i] = f * Math.Sqrt(sumsOfSquaredTerms[i]);
        }

        return sumsOfSquaredTerms;
    }

    /// <summary>|a − e| less element i's floor (none when there are no floors or it is not finite), at least 0.</summary>
    private static double Excess(double a, double e, ReadOnlySpan<double> floor, int i)
    {
        double d = Math.Abs(a - e);
        if (floor.IsEmpty || !double.IsFinite(floor[i]))
        {
            return d;
        }

        return Math.Max(0, d - floor[i]);
    }

    /// <summary>Exact comparison: every element equal, NaN matching NaN.</summary>
    /// <param name="name">The output's name.</param>
    /// <param name="actual">Device values.</param>
    /// <param name="expected">Reference values.</param>
    /// <returns>The result.</returns>
    public static CheckResult Exact(string name, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
        {
            return new CheckResult(false, double.PositiveInfinity, 0, $"{name}: {actual.Length} values, expected {expected.Length}");
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (!actual[i].Equals(expected[i]))
            {
                return Fail(name, i, expected[i], actual[i], 0, "exact match required");
            }
        }

        return new CheckResult(true, 0, 0, name);
    }

    private static CheckResult Fail(string name, int index, double expected, double actual, double tolerance, string why) =>
        new(false, double.PositiveInfinity, tolerance, string.Create(CultureInfo.InvariantCulture,
            $"{name}[{index}]: expected {expected:R}, got {actual:R} ({why})"));
}
