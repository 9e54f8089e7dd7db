using System;
using Xunit;

namespace Backends.Tests;

public sealed class BFloat16Tests
{
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0f, 0x0000)]
    [InlineData(3.0e38f, 0x7F62)]
    public void FromFloat_ExactOrNearest(float value, int bits) => Assert.Equal((ushort)bits, ((BFloat16)value).RawValue);

    [Fact]
    public void FromFloat_TiesToEven()
    {
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        Assert.Equal(0x3F80, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F808000)).RawValue);

        // 1 + 3·2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: rounds up to the even one.
        Assert.Equal(0x3F82, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F818000)).RawValue);
        Assert.Equal(0x3F81, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F808001)).RawValue);
    }

    [Fact]
    public void FromFloat_OverflowGivesInfinity() => Assert.True(BFloat16.IsInfinity((BFloat16)float.MaxValue));

    [Fact]
    public void NaN_StaysNaN_EvenWithLowPayload()
    {
        float nan = BitConverter.UInt32BitsToSingle(0x7F800001); // truncation alone would give infinity
        Assert.True(BFloat16.IsNaN((BFloat16)nan));
        Assert.True(float.IsNaN((float)BFloat16.NaN));
        Assert.True(BFloat16.IsNaN((BFloat16)double.NaN));
    }

    [Fact]
    public void FromDouble_RoundsOnce()
    {
        // 1 + 2^-8 + 2^-30: just above the tie, so it must round up; rounding to float first would land on the tie and round down.
        double v = 1.0 + Math.Pow(2, -8) + Math.Pow(2, -30);
        Assert.Equal(0x3F81, ((BFloat16)v).RawValue);
        Assert.Equal(0x3F80, ((BFloat16)(float)v).RawValue);
    }

    [Fact]
    public void RoundTrip_EveryPattern_IsExact()
    {
        for (int bits = 0; bits <= 0xFFFF; bits++)
        {
            BFloat16 b = BFloat16.FromRawValue((ushort)bits);
            float f = (float)b;
            if (float.IsNaN(f))
            {
                Assert.True(BFloat16.IsNaN((BFloat16)f));
            }
            else
            {
                Assert.Equal(b.RawValue, ((BFloat16)f).RawValue);
            }
        }
    }

    [Fact]
    public void Comparisons_FollowFloat()
    {
        Assert.True(BFloat16.One > BFloat16.Zero);
        Assert.False(BFloat16.NaN == BFloat16.NaN);
        Assert.True(BFloat16.NaN.Equals(BFloat16.NaN));
        Assert.Equal("1", BFloat16.One.ToString());
    }

    [Fact]
    public void HalfFromDouble_IsCorrectlyRounded()
    {
        // The reference relies on (Half)double rounding once: 1 + 2^-11 + 2^-40 must round up.
        double v = 1.0 + Math.Pow(2, -11) + Math.Pow(2, -40);
        Assert.Equal((Half)1.0009765625, (Half)v);
    }
}
