using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Benchmarking;

/// <summary>Statistics of repeated timings, in milliseconds.</summary>
/// <param name="Count">Number of samples.</param>
/// <param name="Median">Median.</param>
/// <param name="Min">Fastest.</param>
/// <param name="Max">Slowest.</param>
/// <param name="Mean">Mean.</param>
/// <param name="StdDev">Sample standard deviation.</param>
/// <param name="Mad">Median absolute deviation from the median.</param>
public sealed record SampleStats(int Count, double Median, double Min, double Max, double Mean, double StdDev, double Mad)
{
    /// <summary>
    /// Relative noise, robust to the odd outlier a shared machine produces: 1.4826·MAD / median (equal to stddev/mean for
    /// normal samples); 0 for a single sample.
    /// </summary>
    public double Noise => Median > 0 ? 1.4826 * Mad / Median : 0;

    /// <summary>Computes the statistics.</summary>
    /// <param name="samples">The timings; at least one.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ArgumentException">No samples.</exception>
    public static SampleStats From(IReadOnlyList<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed.", nameof(samples));
        }

        double[] s = samples.OrderBy(x => x).ToArray();
        double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
        double mean = s.Average();
        double sd = s.Length > 1 ? Math.Sqrt(s.Sum(x => (x - mean) * (x - mean)) / (s.Length - 1)) : 0;
        double[] dev = s.Select(x => Math.Abs(x - median)).OrderBy(x => x).ToArray();
        double mad = dev.Length % 2 == 1 ? dev[dev.Length / 2] : (dev[(dev.Length / 2) - 1] + dev[dev.Length / 2]) / 2;
        return new SampleStats(s.Length, median, s[0], s[^1], mean, sd, mad);
    }
}
