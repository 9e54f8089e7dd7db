using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU GEMM's unpacked-B path (B [N,K], 17..384 rows of A, AVX-512) in both of its layouts, whichever one this CPU
/// takes by default: 64-row groups first (Zen 4) or 48-row ones (elsewhere), then 32-row pairs and a tail of 1..8 rows.
/// Each layout covers every row count with less than one vector of padding, and every output matches a float64 dot
/// product, with rows of A strided over NaN, K blocks with a tail, partial tiles of B and half-precision inputs.
/// </summary>
public sealed unsafe class CpuBroadcastGemmTests
{
    [Fact]
    public void Layout_CoversEveryRowCount_WithLessThanOneVectorOfPadding()
    {
        for (int m = 17; m <= 384; m++)
        {
            foreach (bool quads in new[] { false, true })
            {
                CpuGemm.BroadcastLayout l = CpuGemm.BroadcastLayoutFor(m, quads);
                string at = $"M={m} quads={quads}: {l}";
                Assert.True(l.Quads >= 0 && l.Triples >= 0 && l.Pairs >= 0 && l.Groups >= 2, at);
                Assert.InRange(l.Tail, 0, 8);
                int covered = (16 * l.Groups) + l.Tail;
                Assert.True(covered >= m && covered - m < 16, at);
                Assert.True(l.Tail == 0 || covered == m, at); // a tail holds exactly the rows past the groups
                if (quads)
                {
                    Assert.True(l.Pairs <= 1, at);
                }
                else
                {
                    Assert.Equal(0, l.Quads);
                }
            }
        }
    }

    [Theory]
    [InlineData(128, true, 2, 0, 0, 0)]
    [InlineData(112, true, 1, 1, 0, 0)]
    [InlineData(120, true, 1, 1, 0, 8)]
    [InlineData(124, true, 2, 0, 0, 0)]  // 12 rows past seven vectors: padded to eight
    [InlineData(136, true, 2, 0, 0, 8)]
    [InlineData(100, true, 0, 2, 0, 4)]
    [InlineData(40, true, 0, 1, 0, 0)]   // a padded triple, not a pair and a tail
    [InlineData(80, true, 0, 1, 1, 0)]
    [InlineData(68, true, 0, 1, 1, 0)]   // four vectors and a tail: padded to five, a triple and a pair
    [InlineData(52, true, 0, 1, 0, 4)]   // three vectors and a tail
    [InlineData(88, true, 0, 2, 0, 0)]   // five vectors and a tail would need a pair: padded to six
    [InlineData(150, true, 0, 3, 0, 6)]
    [InlineData(384, true, 6, 0, 0, 0)]
    [InlineData(128, false, 0, 2, 1, 0)]
    [InlineData(64, false, 0, 0, 2, 0)]
    [InlineData(100, false, 0, 2, 0, 4)]
    [InlineData(136, false, 0, 3, 0, 0)]
    public void Layout_SplitsAsDocumented(int m, bool quads, int q, int t, int p, int tail) =>
        Assert.Equal(new CpuGemm.BroadcastLayout(q, t, p, tail), CpuGemm.BroadcastLayoutFor(m, quads));

    /// <summary>Layout (with 64-row groups or not); dtype of A and B; rows of A; N; K; NaN elements between A's rows.</summary>
    [Theory]
    [InlineData(true, DType.F32, 17, 30, 100, 1)]
    [InlineData(true, DType.F32, 40, 50, 1029, 0)]   // a padded triple; a K tail of 1 past whole 4-k steps
    [InlineData(true, DType.F32, 64, 24, 64, 3)]     // one quad, one tile of B
    [InlineData(true, DType.F32, 52, 40, 129, 0)]    // a triple and a tail of 4
    [InlineData(true, DType.F32, 80, 26, 40, 0)]     // a triple and a pair; a partial tile of B (staged)
    [InlineData(true, DType.F32, 100, 70, 1030, 2)]  // two triples and a tail of 4
    [InlineData(true, DType.F32, 112, 49, 300, 0)]   // a quad and a triple
    [InlineData(true, DType.F32, 128, 100, 2051, 5)] // two quads, K in three blocks of 1024 with a tail of 3
    [InlineData(true, DType.F32, 136, 25, 515, 0)]   // two quads and a tail of 8
    [InlineData(true, DType.F32, 150, 48, 260, 1)]   // three triples and a tail of 6
    [InlineData(true, DType.F32, 250, 30, 130, 0)]   // three quads and a triple, padded
    [InlineData(true, DType.F32, 384, 31, 77, 2)]    // six quads
    [InlineData(false, DType.F32, 64, 50, 1029, 1)]  // two pairs
    [InlineData(false, DType.F32, 128, 100, 2051, 0)]
    [InlineData(false, DType.F32, 100, 70, 515, 3)]
    [InlineData(true, DType.BF16, 128, 30, 300, 1)]  // B staged through F32 rows
    [InlineData(true, DType.BF16, 136, 50, 1029, 0)]
    [InlineData(true, DType.F16, 112, 25, 100, 2)]
    [InlineData(false, DType.BF16, 128, 30, 300, 1)]
    public void MatchesFloat64(bool quads, DType dtype, int m, int n, int k, int gap)
    {
        int seed = 20261203 + (m * 7919) + (n * 31) + k + (int)dtype + (quads ? 1 : 0);
        var rng = new Random(seed);
        long lda = k + gap;
        int size = dtype.SizeInBytes();
        long aCount = ((m - 1) * lda) + k, bCount = (long)n * k;
        byte* a = (byte*)NativeMemory.AlignedAlloc((nuint)(aCount * size), 64);
        byte* b = (byte*)NativeMemory.AlignedAlloc((nuint)(bCount * size), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)((long)m * n * sizeof(float)), 64);
        try
        {
            var aVal = new float[aCount];
            var bVal = new float[bCount];
            for (long e = 0; e < aCount; e++)
            {
                aVal[e] = e % lda < k ? Put(a, e, dtype, (rng.NextDouble() * 2) - 1) : Put(a, e, dtype, double.NaN);
            }

            for (long e = 0; e < bCount; e++)
            {
                bVal[e] = Put(b, e, dtype, (rng.NextDouble() * 2) - 1);
            }

            var c0 = new float[m * n];
            for (int e = 0; e < c0.Length; e++)
            {
                c0[e] = (float)(rng.NextDouble() - 0.5);
                c[e] = c0[e];
            }

            const float Alpha = 0.75f, Beta = 0.5f;
            var p = new GemmProblem((nint)a, (nint)b, (nint)c, m, n, k, false, true, dtype, DType.F32, Alpha, Beta, lda, k, n);
            if (!Vector512.IsHardwareAccelerated)
            {
                // Without AVX-512 the path is never taken, and says so when called.
                Assert.Throws<ArgumentException>(() => CpuGemm.BroadcastGemm(p, quads));
                return;
            }

            CpuGemm.BroadcastGemm(p, quads);
            fixed (float* av = aVal, bv = bVal)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double dot = CpuFloat64.Dot(av + (i * lda), bv + ((long)j * k), k, out double mag);
                        double want = (Alpha * dot) + (Beta * (double)c0[(i * n) + j]);
                        double tol = (1e-6 * Math.Sqrt(k) * mag) + 1e-6;
                        float got = c[(i * n) + j];
                        Assert.True(
                            Math.Abs(got - want) <= tol,
                            $"seed {seed}: {(quads ? "quads" : "triples")} {dtype} M={m} N={n} K={k} gap {gap}: C[{i},{j}] = {got}, float64 {want} (tolerance {tol:G3})");
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>Stores v at element e in the dtype and returns the value stored (NaN stays NaN).</summary>
    private static float Put(byte* p, long e, DType dtype, double v)
    {
        if (dtype == DType.F32)
        {
            ((float*)p)[e] = (float)v;
            return (float)v;
        }

        (ushort bits, double value) = CpuFloat64.RoundTo(dtype, v);
        ((ushort*)p)[e] = bits;
        return (float)value;
    }
}
