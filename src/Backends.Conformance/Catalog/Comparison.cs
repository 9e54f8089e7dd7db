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
    public static CheckResult Norm(string name, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance)
    {
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

            diff2 += (a - e) * (a - e);
            ref2 += e * e;
            finite++;
        }

        double rms = finite == 0 ? 0 : Math.Sqrt(ref2 / finite);
        double bound = 10 * tolerance;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsFinite(e) && Math.Abs(a - e) > bound * (Math.Abs(e) + rms) && Math.Abs(a - e) > 1e-30)
            {
                return Fail(name, i, e, a, tolerance, $"element error above {bound:E1}·(|expected| + rms)");
            }
        }

        double err = diff2 == 0 ? 0 : Math.Sqrt(diff2) / Math.Max(Math.Sqrt(ref2), 1e-30);
        return err <= tolerance
            ? new CheckResult(true, err, tolerance, name)
            : new CheckResult(false, err, tolerance, $"{name}: relative L2 error {err:E3} > {tolerance:E1}");
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
