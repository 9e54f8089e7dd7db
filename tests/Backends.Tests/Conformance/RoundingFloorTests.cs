using System;
using Backends.Conformance;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The conformance check's rounding floor for dot products (<see cref="Comparison.DotRoundingFloor"/>): a float32 dot
/// product summed term by term in order, the least accurate way a device may sum, passes within it even when its
/// result is a small difference of large terms (which the plain relative check rejects), and an error well past the
/// floor still fails.
/// </summary>
public sealed class RoundingFloorTests
{
    [Theory]
    [InlineData(1, 2759)]
    [InlineData(2, 4096)]
    [InlineData(3, 20000)]
    public void NaiveFloat32Sums_PassWithinTheFloor_AndOnlyWithIt(int seed, int k)
    {
        const int Outputs = 3;
        var rng = new Random(seed);
        var expected = new double[Outputs];
        var actual = new double[Outputs];
        var squares = new double[Outputs];
        for (int o = 0; o < Outputs; o++)
        {
            // Terms in [-1, 1]², the last pair chosen so that the exact sum is a small fraction of its terms.
            var a = new float[k];
            var b = new float[k];
            double partial = 0;
            for (int q = 0; q < k - 1; q++)
            {
                a[q] = (float)((rng.NextDouble() * 2) - 1);
                b[q] = (float)((rng.NextDouble() * 2) - 1);
                partial += (double)a[q] * b[q];
            }

            a[k - 1] = 1;
            b[k - 1] = (float)(-partial + (0.01 * ((rng.NextDouble() * 2) - 1)));
            double exact = 0, sq = 0;
            float naive = 0;
            for (int q = 0; q < k; q++)
            {
                double t = (double)a[q] * b[q];
                exact += t;
                sq += t * t;
                naive += a[q] * b[q];
            }

            expected[o] = exact;
            actual[o] = naive;
            squares[o] = sq;
        }

        double[] floor = Comparison.DotRoundingFloor(squares, k, 1);
        CheckResult with = Comparison.Norm("c", actual, expected, 1e-5, floor);
        Assert.True(with.Passed, $"seed {seed}, K {k}: float32 in order against float64 within the floor: {with.Detail}");
        CheckResult without = Comparison.Norm("c", actual, expected, 1e-5);
        Assert.False(without.Passed, $"seed {seed}, K {k}: these outputs should be beyond the plain relative check (errors {actual[0] - expected[0]:G3}, {actual[1] - expected[1]:G3}, {actual[2] - expected[2]:G3})");

        // An error of 3 floors plus the relative bound on one element fails.
        double rms = Math.Sqrt((expected[0] * expected[0] + expected[1] * expected[1] + expected[2] * expected[2]) / 3);
        double[] wrong = (double[])expected.Clone();
        wrong[1] += (3 * floor[1]) + (1e-4 * (Math.Abs(expected[1]) + rms));
        Assert.False(Comparison.Norm("c", wrong, expected, 1e-5, floor).Passed, $"seed {seed}, K {k}: an error past the floor must fail");
    }

    [Fact]
    public void NoFloorOrANonFiniteOne_IsTheCheckWithout()
    {
        double[] expected = [1, 2, 3], actual = [1, 2.01, 3];
        Assert.False(Comparison.Norm("c", actual, expected, 1e-5, [0, double.NaN, 0]).Passed);
        Assert.False(Comparison.Norm("c", actual, expected, 1e-5, [0, double.PositiveInfinity, 0]).Passed);
        Assert.True(Comparison.Norm("c", actual, expected, 1e-5, [0, 0.011, 0]).Passed);
        Assert.Throws<ArgumentException>(() => Comparison.Norm("c", actual, expected, 1e-5, [0, 0]));
    }
}
