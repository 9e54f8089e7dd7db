using System;
using System.Runtime.Intrinsics;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>The CPU backend's vector math: the polynomial exp of the fused kernels, on every vector width this CPU has.</summary>
public sealed class CpuSimdTests
{
    [Fact]
    public void FastExp_IsWithinTwoUlps_AndIeeeAtTheEdges()
    {
        Check<Vec128, Vector128<float>>(Vector128.IsHardwareAccelerated);
        Check<Vec256, Vector256<float>>(Vector256.IsHardwareAccelerated);
        Check<Vec512, Vector512<float>>(Vector512.IsHardwareAccelerated);
    }

    [Fact]
    public void ExpVariants_MatchTheirContracts()
    {
        CheckVariants<Vec128, Vector128<float>>(Vector128.IsHardwareAccelerated);
        CheckVariants<Vec256, Vector256<float>>(Vector256.IsHardwareAccelerated);
        CheckVariants<Vec512, Vector512<float>>(Vector512.IsHardwareAccelerated);
    }

    /// <summary>
    /// Vec512.Exp2Fma, the exp of softmax's 512-bit sweep: 2^u for u = x·k + c (one FMA) within 2.5 ulps where 2^u is
    /// normal and within the smallest denormal where it is denormal, exact at integer u, 0 at and below −151 and for
    /// −∞, NaN for NaN.
    /// </summary>
    [Fact]
    public unsafe void Exp2Fma_IsWithinItsBound_AndIeeeAtTheEdges()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return;
        }

        float* inp = stackalloc float[16];
        float* outp = stackalloc float[16];
        float Exp2(float x, float k, float c)
        {
            for (int i = 0; i < 16; i++)
            {
                inp[i] = x;
            }

            Vec512.Exp2Fma(Vector512.Load(inp), Vector512.Create(k), Vector512.Create(c)).Store(outp);
            return outp[0];
        }

        Assert.True(float.IsNaN(Exp2(float.NaN, 1f, 0f)), "NaN");
        Assert.Equal(0f, Exp2(float.NegativeInfinity, 1.5f, 3f));
        Assert.Equal(0f, Exp2(-151f, 1f, 0f));
        Assert.Equal(0f, Exp2(-1e30f, 1f, 0f));
        for (int n = -149; n <= 0; n++)
        {
            Assert.Equal(MathF.ScaleB(1f, n), Exp2(n, 1f, 0f));
            Assert.Equal(MathF.ScaleB(1f, n), Exp2(n - 40, 1f, 40f));
        }

        var rnd = new Random(20261203);
        for (int i = 0; i < 50000; i++)
        {
            float k = i % 2 == 0 ? 1.44269504f : (float)(rnd.NextDouble() * 2), c = (float)(rnd.NextDouble() * 200) - 100;
            float u = -(float)(rnd.NextDouble() * 150);
            float x = (u - c) / k;
            float exact = MathF.FusedMultiplyAdd(x, k, c);
            double want = Math.Pow(2, exact), got = Exp2(x, k, c);
            if (want >= Math.Pow(2, -126))
            {
                double ulps = Math.Abs(got - want) / (MathF.BitIncrement((float)want) - (float)want);
                Assert.True(ulps <= 2.5, $"2^({x:R}·{k:R} + {c:R}) = {got:R}, expected {want:R}: {ulps:F2} ulps");
            }
            else
            {
                // The polynomial's error, then one rounding to the denormal grid.
                Assert.True(Math.Abs(got - want) <= (3e-7 * want) + float.Epsilon, $"2^({x:R}·{k:R} + {c:R}) = {got:R}, expected the denormal {want:R}");
            }
        }
    }

    /// <summary>
    /// Softmax rows whose max lies on either side of the magnitude up to which 512-bit vectors form the exponent with
    /// one FMA (65536), scaled and not, with −∞ entries and ties: every output within 5e-7 + |x·scale − max|·1.2e-7
    /// relative of float64 (the exponent's rounding; or 1e-36 absolute), each row summing to 1.
    /// </summary>
    [Theory]
    [InlineData(1f)]
    [InlineData(0.125f)]
    public void Softmax_MatchesFloat64_OnBothSidesOfTheFusedExponentLimit(float scale)
    {
        const int Cols = 100, Seed = 20261204;
        float[] maxima = [0f, 3f, -1000f, 8191f, 65535f / scale, 65536f / scale, 65537f / scale, -65540f / scale, 1e7f, 3e38f, -3e38f];
        var rnd = new Random(Seed);
        float[] xs = new float[maxima.Length * Cols];
        for (int r = 0; r < maxima.Length; r++)
        {
            for (int j = 0; j < Cols; j++)
            {
                // Within 100/scale below the row's max (a spread the exp resolves), some −∞, the max itself twice.
                float v = maxima[r] - (float)(rnd.NextDouble() * 100 / scale);
                xs[(r * Cols) + j] = j is 7 or 50 ? maxima[r] : j % 13 == 0 ? float.NegativeInfinity : v;
            }
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView x = cpu.Allocate(DType.F32, maxima.Length, Cols), y = cpu.Allocate(DType.F32, maxima.Length, Cols);
        s.Write<float>(x, xs);
        s.Fill(y, float.NaN);
        cpu.Kernels.Softmax(s, x, y, new SoftmaxOptions { Scale = scale });
        float[] ys = s.Read<float>(y);
        for (int r = 0; r < maxima.Length; r++)
        {
            double m = double.NegativeInfinity, sum = 0, total = 0;
            for (int j = 0; j < Cols; j++)
            {
                m = Math.Max(m, (double)(xs[(r * Cols) + j] * scale));
            }

            for (int j = 0; j < Cols; j++)
            {
                sum += Math.Exp((double)(xs[(r * Cols) + j] * scale) - m);
            }

            for (int j = 0; j < Cols; j++)
            {
                // Either exp's exponent (x·scale − max, or x·k + c) is rounded to float32: |x·scale − max|·2^−24 relative.
                double d = (double)(xs[(r * Cols) + j] * scale) - m;
                double want = Math.Exp(d) / sum, got = ys[(r * Cols) + j];
                total += got;
                Assert.True(
                    got == want || Math.Abs(got - want) <= Math.Max((5e-7 + (Math.Abs(d) * 1.2e-7)) * want, 1e-36),
                    $"row max {maxima[r]:R}, scale {scale}, column {j}: {got:R}, float64 {want:R} (seed {Seed})");
            }

            Assert.True(Math.Abs(total - 1) <= 1e-5, $"row max {maxima[r]:R}, scale {scale}: sums to {total:R}");
        }
    }

    /// <summary>
    /// A scale near float's limit (scale·log2 e overflows float): a row of zeros and small values keeps its exact
    /// softmax (uniform over the zeros), as the subtract-first exp gives it.
    /// </summary>
    [Fact]
    public void Softmax_WithTheLargestScale_KeepsZeroRowsUniform()
    {
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        const int Cols = 40;
        TensorView x = cpu.Allocate(DType.F32, 2, Cols), y = cpu.Allocate(DType.F32, 2, Cols);
        float[] xs = new float[2 * Cols];
        xs[Cols + 3] = -1e-30f; // x·scale = −3.4e8: its exponential 0, the others uniform
        s.Write<float>(x, xs);
        s.Fill(y, float.NaN);
        cpu.Kernels.Softmax(s, x, y, new SoftmaxOptions { Scale = float.MaxValue });
        float[] ys = s.Read<float>(y);
        for (int j = 0; j < Cols; j++)
        {
            Assert.Equal(1f / Cols, ys[j], 1e-7f);
            Assert.Equal(j == 3 ? 0f : 1f / (Cols - 1), ys[Cols + j], 1e-7f);
        }
    }

    [Fact]
    public void HalfToFloat_IsExact_ForEveryHalf()
    {
        ushort[] bits = new ushort[65536 + 7];
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = (ushort)i;
        }

        float[] got = new float[bits.Length];
        CpuConvert.HalfToFloat(bits, got);
        for (int i = 0; i < bits.Length; i++)
        {
            float want = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            Assert.True(
                BitConverter.SingleToUInt32Bits(got[i]) == BitConverter.SingleToUInt32Bits(want),
                $"f16 0x{bits[i]:X4} → {got[i]:R} (0x{BitConverter.SingleToUInt32Bits(got[i]):X8}), expected {want:R} (0x{BitConverter.SingleToUInt32Bits(want):X8})");
        }
    }

    [Fact]
    public void FloatToHalf_RoundsLikeHalf_OnEdgesAndRandomBits()
    {
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        var values = new System.Collections.Generic.List<uint>();

        // Around every f16 boundary: the overflow threshold, the normal/subnormal edge, ties, specials.
        uint[] centres = [0x477FE000, 0x477FF000, 0x47800000, 0x38800000, 0x38000000, 0x33800000, 0x33000000, 0x7F800000, 0x7FC00000, 0x7F800001, 0, 0x3F800000];
        foreach (uint c in centres)
        {
            for (int d = -300; d <= 300; d++)
            {
                values.Add((uint)(c + d));
                values.Add((uint)(c + d) | 0x80000000u);
            }
        }

        for (int i = 0; i < 2_000_000; i++)
        {
            values.Add((uint)rnd.NextInt64(0, 1L << 32));
        }

        for (uint h = 0; h < 0x7C00; h++)
        {
            // Exact halfway points between neighbouring halves (round-to-even ties).
            float lo = (float)BitConverter.UInt16BitsToHalf((ushort)h), hi = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            values.Add(BitConverter.SingleToUInt32Bits((float)(((double)lo + hi) / 2)));
        }

        float[] src = new float[values.Count];
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = BitConverter.UInt32BitsToSingle(values[i]);
        }

        ushort[] got = new ushort[src.Length];
        CpuConvert.FloatToHalf(src, got);
        for (int i = 0; i < src.Length; i++)
        {
            ushort want = BitConverter.HalfToUInt16Bits((Half)src[i]);
            Assert.True(got[i] == want, $"f32 0x{values[i]:X8} ({src[i]:R}) → f16 0x{got[i]:X4}, expected 0x{want:X4} (seed {seed})");
        }
    }

    /// <summary>
    /// OnePlusExpOfNegated(v) is 1 + FastExp(0 − v) bit for bit, and FastExpNonPositive(v) for v ≤ 0 within its stated
    /// ulps of e^v: on the edges of the exp's clamps, the specials, random bit patterns and random values across the range.
    /// </summary>
    private static unsafe void CheckVariants<TOps, TVec>(bool accelerated)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        if (!accelerated)
        {
            return;
        }

        int w = TOps.Count, seed = Environment.TickCount;
        var rnd = new Random(seed);
        float[] edges =
        [
            0f, -0f, 1f, -1f, 0.5f, -0.5f, 0.34657359f, -0.34657359f, 88.7f, 88.8f, 88.9f, -88.7f, -88.8f, -88.9f, 103.9f, -103.9f,
            -104f, 109.9f, 110f, 110.1f, -110f, -110.1f, 1e30f, -1e30f, float.MaxValue, float.MinValue, float.Epsilon,
            -float.Epsilon, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, -1e-30f,
        ];
        float* inp = stackalloc float[16];
        float* a = stackalloc float[16];
        float* b = stackalloc float[16];
        for (int it = 0; it < 40000; it++)
        {
            for (int i = 0; i < w; i++)
            {
                int kind = rnd.Next(4);
                inp[i] = kind == 0 ? edges[rnd.Next(edges.Length)]
                    : kind == 1 ? (float)((rnd.NextDouble() * 240) - 120)
                    : kind == 2 ? (float)((rnd.NextDouble() * 20) - 10)
                    : BitConverter.Int32BitsToSingle(rnd.Next() ^ (rnd.Next(2) << 31));
            }

            TVec v = TOps.Load(inp);
            TOps.Store(a, TOps.Add(TOps.Broadcast(1f), TOps.FastExp(TOps.Subtract(TOps.Zero, v))));
            TOps.Store(b, TOps.OnePlusExpOfNegated(v));
            for (int i = 0; i < w; i++)
            {
                Assert.True(
                    BitConverter.SingleToUInt32Bits(a[i]) == BitConverter.SingleToUInt32Bits(b[i]) || (float.IsNaN(a[i]) && float.IsNaN(b[i])),
                    $"{w}-wide 1 + exp(−{inp[i]:R}): {b[i]:R}, expected {a[i]:R} (seed {seed})");
            }

            // FastExpNonPositive on v ≤ 0: within 2.5 ulps of e^v for v ≥ −20, 5 below; the edges exact.
            for (int i = 0; i < w; i++)
            {
                inp[i] = float.IsNaN(inp[i]) ? inp[i] : -Math.Abs(inp[i]);
            }

            TOps.Store(b, TOps.FastExpNonPositive(TOps.Load(inp)));
            for (int i = 0; i < w; i++)
            {
                float x = inp[i], want = (float)Math.Exp(x), got = b[i];
                if (float.IsNaN(x) || want == 0 || x == 0)
                {
                    Assert.True(got.Equals(want), $"{w}-wide exp({x:R}) for x ≤ 0: {got:R}, expected {want:R} (seed {seed})");
                    continue;
                }

                double ulps = Math.Abs(got - Math.Exp(x)) / Math.Max(float.Epsilon, MathF.BitIncrement(want) - want);
                double bound = x >= -20 ? 2.5 : 5;
                Assert.True(ulps <= bound, $"{w}-wide exp({x:R}) for x ≤ 0: {got:R}, expected {want:R}: {ulps:F2} ulps > {bound} (seed {seed})");
            }
        }
    }

    private static unsafe void Check<TOps, TVec>(bool accelerated)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        if (!accelerated)
        {
            return;
        }

        int w = TOps.Count;
        float* inp = stackalloc float[16];
        float* outp = stackalloc float[16];
        void One(float x, float expected, string what)
        {
            for (int i = 0; i < w; i++)
            {
                inp[i] = x;
            }

            TOps.Store(outp, TOps.FastExp(TOps.Load(inp)));
            float got = outp[0];
            if (float.IsNaN(expected) || float.IsInfinity(expected) || expected == 0)
            {
                Assert.True(got.Equals(expected), $"{w}-wide exp({x}) = {got}, expected {expected} ({what})");
                return;
            }

            double ulps = Math.Abs(got - (double)expected) / Math.Max(float.Epsilon, MathF.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));
            Assert.True(ulps <= 2, $"{w}-wide exp({x}) = {got:R}, expected {expected:R}: {ulps:F1} ulps ({what})");
        }

        One(float.NaN, float.NaN, "NaN");
        One(float.PositiveInfinity, float.PositiveInfinity, "+inf");
        One(float.NegativeInfinity, 0f, "-inf");
        One(89f, float.PositiveInfinity, "overflow");
        One(-120f, 0f, "underflow");
        One(0f, 1f, "zero");
        One(88.7f, (float)Math.Exp(88.7f), "just below overflow");
        One(88.73f, float.PositiveInfinity, "just above ln(FLT_MAX)");
        One(-87.5f, (float)Math.Exp(-87.5f), "subnormal result");
        var rnd = new Random(12345);
        for (int i = 0; i < 20000; i++)
        {
            float x = (float)((rnd.NextDouble() * 175) - 87);
            One(x, (float)Math.Exp(x), "random normal range");
        }
    }
}
