using System;
using System.Collections.Generic;
using System.Linq;

namespace Backends.Conformance;

/// <summary>
/// The sampled check of large GEMM-like cases: a few output rows (the first, the last, and random ones) are computed
/// in float64 and compared as usual; every other element must at least be finite (inputs are finite, so a NaN means
/// an unwritten, still-poisoned element).
/// </summary>
internal static class SampledRows
{
    public const int Count = 12;

    /// <summary>Checks output <paramref name="name"/> of <paramref name="rows"/> × <paramref name="cols"/> with a row reference.</summary>
    public static CheckResult Check(OpCase c, string name, double[] actual, int rows, int cols, Func<int, double[]> referenceRow)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (!double.IsFinite(actual[i]))
            {
                return new CheckResult(false, double.PositiveInfinity, 0, $"{name}[{i}] is {actual[i]} with finite inputs (unwritten or wrong)");
            }
        }

        var rng = new Random(c.Seed ^ 0x5A5A);
        IEnumerable<int> picks = new[] { 0, rows - 1 }.Concat(Enumerable.Range(0, Count).Select(_ => rng.Next(rows))).Distinct().Where(r => r >= 0);
        var got = new List<double>();
        var want = new List<double>();
        foreach (int r in picks)
        {
            want.AddRange(referenceRow(r));
            got.AddRange(actual.AsSpan(r * cols, cols).ToArray());
        }

        HostTensor t = c.Tensor(name);
        CheckResult res = Comparison.Norm(name + " (sampled rows)", got.ToArray(), want.ToArray(), c.Spec.Tolerance(t.DType));
        return res.Passed ? res with { Detail = $"{name}: {picks.Count()} sampled rows" } : res;
    }
}
