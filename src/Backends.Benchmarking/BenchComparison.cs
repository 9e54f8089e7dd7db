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
/// <param name="Threshold">The relative change that counts: max(5%, 3·√(old noise² + new noise²)).</param>
/// <param name="Verdict">The verdict.</param>
public sealed record CaseComparison(string Key, double OldMs, double NewMs, double Ratio, double Threshold, Verdict Verdict);

/// <summary>Compares two reports case by case, judging each change against the noise both runs measured (as nvbench's compare does).</summary>
public static class BenchComparison
{
    /// <summary>The smallest relative change ever called a difference.</summary>
    public const double MinThreshold = 0.05;

    /// <summary>Compares.</summary>
    /// <param name="old">The baseline.</param>
    /// <param name="current">The new run.</param>
    /// <returns>One comparison per case of either report.</returns>
    public static IReadOnlyList<CaseComparison> Compare(BenchReport old, BenchReport current)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(current);
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

            double noise = Math.Sqrt(Sq(Clean(o.Noise)) + Sq(Clean(n.Noise)));
            double threshold = Math.Max(MinThreshold, 3 * noise);
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

    private static double Clean(double v) => double.IsFinite(v) ? v : 0;

    private static double Sq(double v) => v * v;
}
