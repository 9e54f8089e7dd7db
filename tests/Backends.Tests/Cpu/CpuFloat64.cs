using System;
using Backends.Conformance;
using Xunit;

namespace Backends.Tests;

/// <summary>The CPU tests' float64 expectations, from the conformance suite's reference (<see cref="ReferenceOps"/>), and their comparison.</summary>
internal static class CpuFloat64
{
    /// <summary>silu(x), silu(x)·z, x + z or x·z in float64, by the op's name ("silu", "swiglu", "add", "mul").</summary>
    public static double Elementwise(string op, double x, double z) => op switch
    {
        "silu" => ReferenceOps.Silu(x),
        "swiglu" => ReferenceOps.Silu(x) * z,
        "add" => x + z,
        "mul" => x * z,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>RMS norm of F32 rows [rows, cols] with gamma [cols], in float64.</summary>
    public static double[] RmsNorm(float[] x, float[] gamma, int rows, int cols, double eps)
    {
        var y = new double[(long)rows * cols];
        ReferenceOps.RmsNorm(Array.ConvertAll(x, v => (double)v), Array.ConvertAll(gamma, v => (double)v), y, rows, cols, eps);
        return y;
    }

    /// <summary>Σ a[q]·b[q] over q &lt; <paramref name="k"/> in float64, and in <paramref name="magnitude"/> Σ |a[q]·b[q]| (what an F32 sum's rounding error scales with).</summary>
    public static unsafe double Dot(float* a, float* b, long k, out double magnitude)
    {
        double sum = 0;
        magnitude = 0;
        for (long q = 0; q < k; q++)
        {
            double t = (double)a[q] * b[q];
            sum += t;
            magnitude += Math.Abs(t);
        }

        return sum;
    }

    /// <summary>v rounded to F16 or BF16 (to nearest even, NaN kept): its bits and its value.</summary>
    public static (ushort Bits, double Value) RoundTo(DType dt, double v)
    {
        if (dt == DType.F16)
        {
            Half h = (Half)v;
            return (BitConverter.HalfToUInt16Bits(h), (double)h);
        }

        ushort bits = ((BFloat16)(float)v).RawValue;
        return (bits, BitConverter.UInt32BitsToSingle((uint)bits << 16));
    }

    /// <summary>Writes F16 or BF16 bits into a view of that dtype.</summary>
    public static void WriteHalf(DeviceStream s, TensorView v, DType dt, ushort[] bits)
    {
        if (dt == DType.F16)
        {
            s.Write<Half>(v, Array.ConvertAll(bits, BitConverter.UInt16BitsToHalf));
        }
        else
        {
            s.Write<BFloat16>(v, Array.ConvertAll(bits, BFloat16.FromRawValue));
        }
    }

    /// <summary>
    /// <paramref name="got"/> within <paramref name="relative"/>·|want| + <paramref name="absolute"/> of
    /// <paramref name="want"/>; a NaN or infinite <paramref name="want"/> must come out exactly.
    /// </summary>
    public static void AssertClose(double want, float got, string what, double relative = 1e-5, double absolute = 1e-30)
    {
        if (double.IsNaN(want) || double.IsInfinity(want))
        {
            Assert.True(want.Equals((double)got), $"{what}: got {got}, expected {want}");
            return;
        }

        Assert.True(Math.Abs(got - want) <= (relative * Math.Abs(want)) + absolute, $"{what}: got {got:R}, expected {want:R}");
    }
}
