using System;
using System.Runtime.InteropServices;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The decode GEMM's runs kernels for one and two rows of A, at both run counts for one row (the CPU's vendor picks
/// one of them, so the conformance suite exercises only that one here): each output against a float64 dot product,
/// with B's rows poisoned past K and the outputs poisoned before the call.
/// </summary>
public sealed unsafe class CpuDecodeRunsTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void OneRow_MatchesFloat64_AtEveryRowCountAndDepth(int runs)
    {
        const int Seed = 20261201;
        var rnd = new Random(Seed + runs);
        foreach (int rows in new[] { 1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 67 })
        {
            foreach (int k in new[] { 1, 5, 16, 17, 33, 100, 256 })
            {
                Check(rnd, runs, 1, rows, k, $"seed {Seed + runs}, runs {runs}, rows {rows}, k {k}");
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void TwoRows_MatchFloat64(int runs)
    {
        const int Seed = 20261202;
        var rnd = new Random(Seed + runs);
        foreach (int rows in new[] { 1, 4, 5, 12, 33 })
        {
            foreach (int k in new[] { 3, 16, 70 })
            {
                Check(rnd, runs, 2, rows, k, $"seed {Seed + runs}, runs {runs}, two rows of A, rows {rows}, k {k}");
            }
        }
    }

    private static void Check(Random rnd, int runs, int m, int rows, int k, string what)
    {
        int lda = k + 3, ldb = k + 5; // padded: the kernels must not read past K
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(m * lda * sizeof(float)), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)((long)rows * ldb * sizeof(float)), 64);
        float* o = (float*)NativeMemory.AlignedAlloc((nuint)(m * rows * sizeof(float)), 64);
        try
        {
            for (int i = 0; i < m * lda; i++)
            {
                a[i] = i % lda < k ? (float)((rnd.NextDouble() * 2) - 1) : float.NaN;
            }

            for (long i = 0; i < (long)rows * ldb; i++)
            {
                b[i] = i % ldb < k ? (float)((rnd.NextDouble() * 2) - 1) : float.NaN;
            }

            new Span<float>(o, m * rows).Fill(float.NaN);
            CpuGemm.Runs(runs, m, a, lda, k, b, ldb, rows, o);
            for (int i = 0; i < m; i++)
            {
                for (int r = 0; r < rows; r++)
                {
                    double want = CpuFloat64.Dot(a + (i * lda), b + ((long)r * ldb), k, out double mag);
                    float got = o[(i * rows) + r];
                    double tol = (2 * k * 6e-8 * mag) + 1e-30;
                    Assert.True(Math.Abs(got - want) <= tol, $"{what}: output [{i}, {r}] = {got}, float64 {want} (tolerance {tol:g3})");
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(o);
        }
    }
}
