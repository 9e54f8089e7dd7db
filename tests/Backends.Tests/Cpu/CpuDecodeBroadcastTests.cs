using System;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU decode GEMM for the rows of A that take the broadcast tiles on AVX-512 (F32 from 3 rows, BF16 from 5, F16
/// from 9, up to 16; F32 at 3..4 rows the four or six runs of DecodeRuns4) with B [N,K]: an F32 A is read in place from its rows, any other A (half precision, or
/// transposed) is widened by each worker for itself, each worker packs its own copy, and past 4 Mi floats of packed A
/// one shared pack is made instead. Row-strided views of A whose gaps hold NaN, K with and without a tail past whole
/// 16-k lines, and a K deep enough for the shared pack, each output against a float64 dot product. On CPUs without
/// AVX-512 the same calls take the other decode paths and must pass as well.
/// </summary>
public sealed unsafe class CpuDecodeBroadcastTests
{
    /// <summary>A and B's dtype; A stored [K,M]; rows of A; N; K; elements of NaN between the rows of A's view (0: contiguous).</summary>
    [Theory]
    [InlineData(DType.F32, false, 3, 37, 64, 0)]
    [InlineData(DType.F32, false, 4, 12, 100, 5)]     // a K tail of 4 past six whole 16-k lines
    [InlineData(DType.F32, false, 4, 15, 15, 1)]      // 3..4 rows (DecodeRuns4): K shorter than one 16-k line, rows left over after the runs
    [InlineData(DType.F32, false, 3, 300, 200, 2)]    // several chunks of runs, a K tail of 8
    [InlineData(DType.F32, false, 4, 1000, 48, 0)]
    [InlineData(DType.F32, false, 4, 50, 2096, 1)]    // A past half of L1 (up to 64 KiB): six runs, two rows left over
    [InlineData(DType.F32, false, 3, 611, 4100, 0)]   // six runs over several chunks, a K tail of 4
    [InlineData(DType.F32, true, 4, 13, 2200, 2)]     // six runs from A [K,M], a K tail of 8
    [InlineData(DType.F32, true, 4, 70, 100, 3)]      // A [K,M]: widened by each worker
    [InlineData(DType.F32, false, 4, 5, 1048592, 0)]  // 4 × 1048592 floats of packed A: past 4 Mi, so one shared pack
    [InlineData(DType.F32, true, 3, 6, 1048600, 0)]   // the same from A [K,M], widened once before the workers, a tail of 8
    [InlineData(DType.F32, false, 5, 25, 257, 3)]
    [InlineData(DType.F32, false, 8, 13, 16, 16)]
    [InlineData(DType.F32, false, 9, 7, 1029, 1)]
    [InlineData(DType.F32, false, 12, 30, 48, 7)]
    [InlineData(DType.F32, false, 16, 50, 4096, 16)]  // rows 4 KiB + 64 B apart: the A the quads pack from is not aligned to them
    [InlineData(DType.F32, false, 16, 40, 1030, 0)]   // 9..16 rows: six runs of several B rows each, a K tail of 6
    [InlineData(DType.F32, false, 10, 600, 2051, 3)]  // runs over several chunks, rows past the last whole run, a tail of 3
    [InlineData(DType.F32, false, 16, 6, 15, 2)]      // K shorter than one 16-k line: the tail only
    [InlineData(DType.F32, false, 16, 9, 262160, 3)]  // 16 × 262160 floats of packed A: past 4 Mi, so one shared pack
    [InlineData(DType.F32, false, 11, 5, 262163, 0)]  // the same with 12 packed rows and a tail of 3
    [InlineData(DType.F32, true, 6, 10, 70, 2)]       // A [K,M]: widened by each worker
    [InlineData(DType.BF16, false, 5, 20, 100, 3)]
    [InlineData(DType.BF16, false, 8, 13, 257, 0)]
    [InlineData(DType.BF16, false, 12, 7, 33, 1)]
    [InlineData(DType.BF16, false, 16, 50, 4096, 16)]
    [InlineData(DType.BF16, false, 13, 125, 1036, 2)] // runs of BF16 rows (where the VDPBF16PS tiles are not taken), a tail of 12
    [InlineData(DType.BF16, false, 16, 9, 262200, 3)] // half-precision A and the shared pack (BF16 tiles take 32-k lines: 262176 × 16 floats): widened once, before the workers
    [InlineData(DType.BF16, true, 16, 12, 300, 1)]
    [InlineData(DType.F16, false, 9, 11, 100, 2)]
    [InlineData(DType.F16, false, 16, 30, 1029, 5)]
    [InlineData(DType.F16, false, 13, 6, 262163, 0)]
    public void MatchesFloat64(DType dtype, bool transA, int m, int n, int k, int gap)
    {
        int seed = 20261202 + (m * 7919) + k + (int)dtype + (transA ? 1 : 0);
        var rng = new Random(seed);
        Device d = TestDevices.Get("cpu:0");
        using DeviceStream s = d.CreateStream();

        // A's view: [M,K] or [K,M], its rows `ld` elements apart; A[i,q] at i·ld + q, or q·ld + i when transposed.
        int viewRows = transA ? k : m, viewCols = transA ? m : k;
        long ld = viewCols + gap;
        var aHost = new float[((viewRows - 1) * ld) + viewCols];
        for (long e = 0; e < aHost.Length; e++)
        {
            aHost[e] = e % ld < viewCols ? InDType(dtype, (rng.NextDouble() * 2) - 1) : float.NaN;
        }

        var bHost = new float[(long)n * k];
        for (long e = 0; e < bHost.Length; e++)
        {
            bHost[e] = InDType(dtype, (rng.NextDouble() * 2) - 1);
        }

        var cHost = new float[m * n];
        for (int e = 0; e < cHost.Length; e++)
        {
            cHost[e] = (float)(rng.NextDouble() - 0.5);
        }

        using DeviceBuffer ab = d.AllocateBuffer(dtype, aHost.Length);
        TensorView a = TensorView.Strided(ab, 0, ld, viewRows, viewCols);
        TensorView b = d.Allocate(dtype, n, k), c = d.Allocate(DType.F32, m, n);
        using DeviceBuffer bb = b.Buffer, cb = c.Buffer;
        Write(s, new TensorView(ab, 0, aHost.Length), aHost);
        Write(s, b, bHost);
        s.Write<float>(c, cHost);
        const float Alpha = 0.75f, Beta = 0.5f;
        d.Kernels.Gemm(s, a, b, c, new GemmOptions { TransA = transA, TransB = true, Alpha = Alpha, Beta = Beta });
        float[] got = s.Read<float>(c);

        var aRow = new float[k];
        for (int i = 0; i < m; i++)
        {
            for (int q = 0; q < k; q++)
            {
                aRow[q] = aHost[transA ? (q * ld) + i : (i * ld) + q];
            }

            for (int j = 0; j < n; j++)
            {
                double dot, mag;
                fixed (float* ai = aRow, bj = &bHost[(long)j * k])
                {
                    dot = CpuFloat64.Dot(ai, bj, k, out mag);
                }

                double want = (Alpha * dot) + (Beta * (double)cHost[(i * n) + j]);
                // F32 accumulation over K: a few units of 2⁻²⁴·√K of the terms' magnitude, with a wide margin.
                double tol = (1e-6 * Math.Sqrt(k) * mag) + 1e-6;
                float g = got[(i * n) + j];
                Assert.True(
                    Math.Abs(g - want) <= tol,
                    $"seed {seed}: {dtype}{(transA ? " A [K,M]" : string.Empty)} M={m} N={n} K={k} gap {gap}: C[{i},{j}] = {g}, float64 {want} (tolerance {tol:G3})");
            }
        }
    }

    /// <summary>v rounded to the dtype and back (NaN stays NaN), so the float64 reference sees the values the device holds.</summary>
    private static float InDType(DType dtype, double v) => dtype == DType.F32 ? (float)v : (float)CpuFloat64.RoundTo(dtype, v).Value;

    private static void Write(DeviceStream s, TensorView view, float[] values)
    {
        if (view.DType == DType.F32)
        {
            s.Write<float>(view, values);
            return;
        }

        // The values are already in the dtype, so rounding them again gives their own bits.
        CpuFloat64.WriteHalf(s, view, view.DType, Array.ConvertAll(values, v => CpuFloat64.RoundTo(view.DType, v).Bits));
    }
}
