using System;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU decode GEMM for 3..16 rows of an F32 A with B [N,K] (the broadcast tiles on AVX-512): A is read in place
/// from its rows, each worker packs its own copy, and past 4 Mi floats of packed A one shared pack is made instead.
/// Row-strided views of A whose gaps hold NaN, K with and without a tail past whole 16-k lines, and a K deep enough
/// for the shared pack, each output against a float64 dot product. On CPUs without AVX-512 the same calls take the
/// other decode paths and must pass as well.
/// </summary>
public sealed unsafe class CpuDecodeBroadcastTests
{
    /// <summary>Rows of A; N; K; floats of NaN between A's rows (0: a contiguous A); C's rows pre-filled so beta shows.</summary>
    [Theory]
    [InlineData(3, 37, 64, 0)]
    [InlineData(4, 12, 100, 5)]     // a K tail of 4 past six whole 16-k lines
    [InlineData(5, 25, 257, 3)]
    [InlineData(8, 13, 16, 16)]
    [InlineData(9, 7, 1029, 1)]
    [InlineData(12, 30, 48, 7)]
    [InlineData(16, 50, 4096, 16)]  // rows 4 KiB + 64 B apart: the A the quads pack from is not aligned to them
    [InlineData(16, 6, 15, 2)]      // K shorter than one 16-k line: the tail only
    [InlineData(16, 9, 262160, 3)]  // 16 × 262160 floats of packed A: past 4 Mi, so one shared pack
    [InlineData(11, 5, 262163, 0)]  // the same with 12 packed rows and a tail of 3
    public void MatchesFloat64_WithAInPlace(int m, int n, int k, int gap)
    {
        int seed = 20261202 + (m * 7919) + k;
        var rng = new Random(seed);
        Device d = TestDevices.Get("cpu:0");
        using DeviceStream s = d.CreateStream();
        long lda = k + gap;
        var aHost = new float[((m - 1) * lda) + k];
        for (long i = 0; i < aHost.Length; i++)
        {
            aHost[i] = i % lda < k ? (float)((rng.NextDouble() * 2) - 1) : float.NaN;
        }

        var bHost = new float[(long)n * k];
        for (long i = 0; i < bHost.Length; i++)
        {
            bHost[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        var cHost = new float[m * n];
        for (int i = 0; i < cHost.Length; i++)
        {
            cHost[i] = (float)(rng.NextDouble() - 0.5);
        }

        using DeviceBuffer ab = d.AllocateBuffer(DType.F32, aHost.Length);
        TensorView a = TensorView.Strided(ab, 0, lda, m, k);
        TensorView b = d.Allocate(DType.F32, n, k), c = d.Allocate(DType.F32, m, n);
        using DeviceBuffer bb = b.Buffer, cb = c.Buffer;
        s.Write<float>(new TensorView(ab, 0, aHost.Length), aHost);
        s.Write<float>(b, bHost);
        s.Write<float>(c, cHost);
        const float Alpha = 0.75f, Beta = 0.5f;
        d.Kernels.Gemm(s, a, b, c, new GemmOptions { TransB = true, Alpha = Alpha, Beta = Beta });
        float[] got = s.Read<float>(c);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double dot, mag;
                fixed (float* ai = &aHost[i * lda], bj = &bHost[(long)j * k])
                {
                    dot = CpuFloat64.Dot(ai, bj, k, out mag);
                }

                double want = (Alpha * dot) + (Beta * (double)cHost[(i * n) + j]);
                // F32 accumulation over K: a few units of 2⁻²⁴·√K of the terms' magnitude, with a wide margin.
                double tol = (1e-6 * Math.Sqrt(k) * mag) + 1e-6;
                float g = got[(i * n) + j];
                Assert.True(
                    Math.Abs(g - want) <= tol,
                    $"seed {seed}: M={m} N={n} K={k} gap {gap}: C[{i},{j}] = {g}, float64 {want} (tolerance {tol:G3})");
            }
        }
    }
}
