using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Benchmarking;

/// <summary>The verdict on one case between two reports.</summary>
public enum Verdict
{
    /// <summary>Within noise.</summary>
    Same,

    /// <summary>Faster beyond noise.</summary>
    Faster,

    /// <summary>Slower beyond noise.</summary>
    Slower,

    /// <summary>Passed its check before, fails now.</summary>
    Broken,

    /// <summary>In the old report only.</summary>
    Missing,

    /// <summary>In the new report only.</summary>
    New,
}

/// <summary>One case compared.</summary>
/// <param name="Key">device | op | variant | dtype | shape.</param>
/// <param name="OldMs">Old median, ms.</param>
/// <param name="NewMs">New median, ms.</param>
/// <param name="Ratio">New over old.</param>
/// <param name="Threshold">The relative change that counts: max(the minimum threshold, 3 standard errors of the difference of the two medians).</param>
/// <param name="Verdict">The verdict.</param>
public sealed record CaseComparison(string Key, double OldMs, double NewMs, double Ratio, double Threshold, Verdict Verdict);

/// <summary>
/// Compares two reports case by case, judging each change against the noise both runs measured: a median's relative
/// standard error is 1.2533·noise/√runs, and a change counts when it exceeds three standard errors of the difference —
/// and the minimum threshold, which covers what sampling cannot see: the drift of a shared machine between runs.
/// </summary>
public static class BenchComparison
{
    /// <summary>The default smallest relative change called a difference (10%).</summary>
    public const double DefaultMinThreshold = 0.10;

    /// <summary>Compares.</summary>
    /// <param name="old">The baseline.</param>
    /// <param name="current">The new run.</param>
    /// <param name="minThreshold">The smallest relative change ever called a difference (raise it on machines that drift between runs).</param>
    /// <returns>One comparison per case of either report.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minThreshold"/> is negative or not finite.</exception>
    public static IReadOnlyList<CaseComparison> Compare(BenchReport old, BenchReport current, double minThreshold = DefaultMinThreshold)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(current);
        if (!double.IsFinite(minThreshold) || minThreshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minThreshold), minThreshold, "The minimum threshold must be finite and ≥ 0 (0.10 means 10%).");
        }

        Dictionary<string, BenchResult> a = Index(old), b = Index(current);
        var list = new List<CaseComparison>();
        foreach ((string key, BenchResult o) in a)
        {
            if (!b.TryGetValue(key, out BenchResult? n))
            {
                list.Add(new CaseComparison(key, o.MedianMs, double.NaN, double.NaN, double.NaN, Verdict.Missing));
                continue;
            }

            if (o.Passed && !n.Passed)
            {
                list.Add(new CaseComparison(key, o.MedianMs, n.MedianMs, double.NaN, double.NaN, Verdict.Broken));
                continue;
            }

            double noise = Math.Sqrt(Sq(StandardError(o)) + Sq(StandardError(n)));
            double threshold = Math.Max(minThreshold, 3 * noise);
            double ratio = n.MedianMs / o.MedianMs;
            Verdict v = double.IsNaN(ratio) ? Verdict.Same
                : ratio > 1 + threshold ? Verdict.Slower
                : ratio < 1 / (1 + threshold) ? Verdict.Faster
                : Verdict.Same;
            list.Add(new CaseComparison(key, o.MedianMs, n.MedianMs, ratio, threshold, v));
        }

        foreach ((string key, BenchResult n) in b)
        {
            if (!a.ContainsKey(key))
            {
                list.Add(new CaseComparison(key, double.NaN, n.MedianMs, double.NaN, double.NaN, Verdict.New));
            }
        }

        return list;
    }

    /// <summary>Whether a comparison should fail a CI job: anything slower beyond noise, or broken.</summary>
    /// <param name="comparisons">The comparisons.</param>
    /// <returns>True when something regressed.</returns>
    public static bool HasRegression(IEnumerable<CaseComparison> comparisons) =>
        comparisons.Any(c => c.Verdict is Verdict.Slower or Verdict.Broken);

    private static Dictionary<string, BenchResult> Index(BenchReport r)
    {
        var d = new Dictionary<string, BenchResult>();
        foreach (BenchResult x in r.Results)
        {
            d[$"{x.Device} | {x.Op} | {x.Variant} | {x.DType} | {x.Shape}"] = x;
        }

        return d;
    }

    /// <summary>Relative standard error of a median: 1.2533 · noise / √runs.</summary>
    private static double StandardError(BenchResult r) => double.IsFinite(r.Noise) && r.Runs > 0 ? 1.2533 * r.Noise / Math.Sqrt(r.Runs) : 0;

    private static double Sq(double v) => v * v;
}
