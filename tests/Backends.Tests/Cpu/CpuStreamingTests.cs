using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU paths taken only by large outputs (non-temporal stores at and above <see cref="CpuRowOps.StreamingBytes"/>
/// when the output is in a buffer of its own): every element checked against float64, with the output poisoned
/// first, the output view starting off a 64-byte boundary (so the vector stores fall back around it), specials in
/// the input, and a length that leaves a scalar tail.
/// </summary>
public sealed class CpuStreamingTests
{
    private const int Count = (int)(CpuRowOps.StreamingBytes / sizeof(float)) + 37;

    [Theory]
    [InlineData("silu", 0)]
    [InlineData("silu", 1)]
    [InlineData("swiglu", 3)]
    [InlineData("add", 0)]
    [InlineData("add", 5)]
    [InlineData("mul", 1)]
    public void LargeElementwiseOutput_MatchesFloat64(string op, int outputOffset)
    {
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        float[] a = Inputs(rnd), b = Inputs(rnd);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView va = cpu.Allocate(DType.F32, Count), vb = cpu.Allocate(DType.F32, Count);
        TensorView outBuffer = cpu.Allocate(DType.F32, Count + outputOffset);
        TensorView vy = outBuffer.Slice(outputOffset, Count);
        s.Write<float>(va, a);
        s.Write<float>(vb, b);
        s.Fill(outBuffer, float.NaN);
        switch (op)
        {
            case "silu": cpu.Kernels.Silu(s, va, vy); break;
            case "swiglu": cpu.Kernels.SwiGlu(s, va, vb, vy); break;
            case "add": cpu.Kernels.Add(s, va, vb, vy); break;
            default: cpu.Kernels.Mul(s, va, vb, vy); break;
        }

        float[] y = s.Read<float>(vy);
        for (int i = 0; i < Count; i++)
        {
            double x = a[i], z = b[i];
            double want = op switch
            {
                "silu" => x / (1 + Math.Exp(-x)),
                "swiglu" => x / (1 + Math.Exp(-x)) * z,
                "add" => x + z,
                _ => x * z,
            };
            AssertClose(want, y[i], $"{op} element {i} of {Count} (x {x}, b {z}, output offset {outputOffset}, seed {seed})");
        }
    }

    [Theory]
    [InlineData(4096, 0)]
    [InlineData(1000, 1)]
    public void LargeSoftmaxAndRmsNorm_MatchFloat64(int cols, int outputOffset)
    {
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        int rows = (int)(CpuRowOps.StreamingBytes / sizeof(float) / cols) + 3;
        int n = rows * cols;
        float[] x = new float[n], gamma = new float[cols];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rnd.NextDouble() * 16) - 8);
        }

        for (int i = 0; i < cols; i++)
        {
            gamma[i] = (float)(rnd.NextDouble() + 0.5);
        }

        x[(5 * cols) + 7] = float.NaN; // row 5 comes out all NaN in both ops
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView vx = cpu.Allocate(DType.F32, rows, cols), vg = cpu.Allocate(DType.F32, cols);
        TensorView outBuffer = cpu.Allocate(DType.F32, n + outputOffset);
        TensorView vy = outBuffer.Slice(outputOffset, n).Reshape(rows, cols);
        s.Write<float>(vx, x);
        s.Write<float>(vg, gamma);

        s.Fill(outBuffer, -1f);
        cpu.Kernels.Softmax(s, vx, vy);
        float[] y = s.Read<float>(vy);
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            bool nan = false;
            for (int c = 0; c < cols; c++)
            {
                nan |= float.IsNaN(x[(r * cols) + c]);
                max = Math.Max(max, x[(r * cols) + c]);
            }

            for (int c = 0; c < cols; c++)
            {
                sum += Math.Exp(x[(r * cols) + c] - max);
            }

            for (int c = 0; c < cols; c++)
            {
                double want = nan ? double.NaN : Math.Exp(x[(r * cols) + c] - max) / sum;
                AssertClose(want, y[(r * cols) + c], $"softmax row {r} col {c} of {rows}×{cols} (output offset {outputOffset}, seed {seed})");
            }
        }

        s.Fill(outBuffer, -1f);
        cpu.Kernels.RmsNorm(s, vx, vg, vy, 1e-6f);
        y = s.Read<float>(vy);
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int c = 0; c < cols; c++)
            {
                ss += (double)x[(r * cols) + c] * x[(r * cols) + c];
            }

            double inv = 1 / Math.Sqrt((ss / cols) + 1e-6);
            for (int c = 0; c < cols; c++)
            {
                AssertClose(x[(r * cols) + c] * inv * gamma[c], y[(r * cols) + c], $"rmsnorm row {r} col {c} of {rows}×{cols} (output offset {outputOffset}, seed {seed})");
            }
        }
    }

    private static float[] Inputs(Random rnd)
    {
        float[] v = new float[Count];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)((rnd.NextDouble() * 16) - 8);
        }

        v[3] = float.NaN;
        v[100] = float.PositiveInfinity;
        v[1001] = float.NegativeInfinity;
        v[Count - 1] = -100f;
        v[Count - 20] = 100f;
        return v;
    }

    private static void AssertClose(double want, float got, string what)
    {
        if (double.IsNaN(want) || double.IsInfinity(want))
        {
            Assert.True(want.Equals((double)got), $"{what}: got {got}, expected {want}");
            return;
        }

        double err = Math.Abs(got - want);
        Assert.True(err <= (1e-5 * Math.Abs(want)) + 1e-30, $"{what}: got {got:R}, expected {want:R}");
    }
}
