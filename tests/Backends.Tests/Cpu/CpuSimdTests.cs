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
