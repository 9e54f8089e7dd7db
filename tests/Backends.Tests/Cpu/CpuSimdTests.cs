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
