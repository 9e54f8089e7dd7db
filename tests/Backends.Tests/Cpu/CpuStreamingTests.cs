using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU paths taken only by large outputs (non-temporal stores at and above <see cref="CpuRowOps.StreamingBytes"/>
/// when the output shares no element with an input): every element checked against float64, with the output poisoned
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
            AssertClose(CpuFloat64.Elementwise(op, a[i], b[i]), y[i], $"{op} element {i} of {Count} (x {a[i]}, b {b[i]}, output offset {outputOffset}, seed {seed})");
        }
    }

    /// <summary>
    /// Input and output as disjoint views of one buffer (a runtime's activation arena) stream their output like buffers
    /// of their own; in place, or overlapping, they do not. The output sits 64 bytes past the input (mod 4 KiB), so the
    /// elementwise kernels take their downward sweep (see CpuFused.SweepDown).
    /// </summary>
    [Theory]
    [InlineData("silu")]
    [InlineData("add")]
    public void ArenaOutput_StreamsAndMatchesFloat64(string op)
    {
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        float[] a = Inputs(rnd), b = Inputs(rnd);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView arena = cpu.Allocate(DType.F32, (2 * Count) + 1024), vb = cpu.Allocate(DType.F32, Count);
        TensorView va = arena.Slice(0, Count), vy = arena.Slice(Count + 1024 - (Count % 1024) + 16, Count);
        Assert.True(CpuRowOps.StreamsOutput(vy, va, vb));
        Assert.False(CpuRowOps.StreamsOutput(va, va, vb));
        Assert.False(CpuRowOps.StreamsOutput(arena.Slice(Count - 8, Count), va, vb));
        s.Write<float>(va, a);
        s.Write<float>(vb, b);
        s.Fill(vy, float.NaN);
        if (op == "silu")
        {
            cpu.Kernels.Silu(s, va, vy);
        }
        else
        {
            cpu.Kernels.Add(s, va, vb, vy);
        }

        float[] y = s.Read<float>(vy);
        for (int i = 0; i < Count; i++)
        {
            AssertClose(CpuFloat64.Elementwise(op, a[i], b[i]), y[i], $"{op} element {i} of {Count}, output in the input's buffer (seed {seed})");
        }
    }

    [Theory]
    [InlineData(4096, 0)]
    [InlineData(1000, 1)]
    [InlineData(7200, 0)]
    [InlineData(6153, 1)]
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
        double[] norm = CpuFloat64.RmsNorm(x, gamma, rows, cols, 1e-6);
        for (int i = 0; i < n; i++)
        {
            AssertClose(norm[i], y[i], $"rmsnorm row {i / cols} col {i % cols} of {rows}×{cols} (output offset {outputOffset}, seed {seed})");
        }
    }

    /// <summary>
    /// The staged softmax (each row written during the next row's exp sweep) under a causal mask and a scale: rows
    /// that keep no column (more query rows than columns), rows shorter than one vector step, full rows, an odd
    /// width, and an output off a 64-byte boundary.
    /// </summary>
    [Theory]
    [InlineData("f16", 0)]
    [InlineData("f16", 3)]
    [InlineData("bf16", 0)]
    [InlineData("bf16", 5)]
    public void LargeNarrowingCast_IsExact(string to, int outputOffset)
    {
        // F32 → F16/BF16 of an output of at least StreamingBytes: whole 64-byte blocks go out with non-temporal stores
        // after a scalar head up to the first boundary (an odd offset makes one), a scalar tail after them.
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        int count = (int)(CpuRowOps.StreamingBytes / 2) + 45;
        float[] x = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-30, 20)));
        }

        x[7] = float.NaN;
        x[count - 2] = float.PositiveInfinity;
        x[count / 2] = 1e6f; // beyond F16's range: +∞
        DType dt = to == "f16" ? DType.F16 : DType.BF16;
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView vx = cpu.Allocate(DType.F32, count);
        TensorView outBuffer = cpu.Allocate(dt, count + outputOffset);
        TensorView vy = outBuffer.Slice(outputOffset, count);
        s.Write<float>(vx, x);
        if (dt == DType.F16)
        {
            s.Fill(outBuffer, (Half)12345f);
        }
        else
        {
            s.Fill(outBuffer, (BFloat16)12345f);
        }

        cpu.Kernels.Cast(s, vx, vy);
        if (dt == DType.F16)
        {
            Half[] y = s.Read<Half>(vy);
            for (int i = 0; i < count; i++)
            {
                Half want = (Half)x[i];
                Assert.True(
                    BitConverter.HalfToUInt16Bits(want) == BitConverter.HalfToUInt16Bits(y[i]) || (Half.IsNaN(want) && Half.IsNaN(y[i])),
                    $"f16 element {i} of {count}: {y[i]}, want {want} from {x[i]} (output offset {outputOffset}, seed {seed})");
            }
        }
        else
        {
            BFloat16[] y = s.Read<BFloat16>(vy);
            for (int i = 0; i < count; i++)
            {
                BFloat16 want = (BFloat16)x[i];
                Assert.True(
                    want.RawValue == y[i].RawValue,
                    $"bf16 element {i} of {count}: {y[i].RawValue:X4}, want {want.RawValue:X4} from {x[i]} (output offset {outputOffset}, seed {seed})");
            }
        }
    }

    [Theory]
    [InlineData(1200, 1003, 0)]
    [InlineData(300, 1024, 1)]
    public void LargeCausalScaledSoftmax_MatchesFloat64(int queryRows, int cols, int outputOffset)
    {
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        long minRows = (CpuRowOps.StreamingBytes / sizeof(float) / cols) + 1;
        int batch = (int)((minRows + queryRows - 1) / queryRows), rows = batch * queryRows, n = rows * cols;
        const float scale = 0.125f;
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rnd.NextDouble() * 64) - 32);
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView vx = cpu.Allocate(DType.F32, batch, queryRows, cols);
        TensorView outBuffer = cpu.Allocate(DType.F32, n + outputOffset);
        TensorView vy = outBuffer.Slice(outputOffset, n).Reshape(batch, queryRows, cols);
        s.Write<float>(vx, x);
        s.Fill(outBuffer, -1f);
        cpu.Kernels.Softmax(s, vx, vy, new SoftmaxOptions { Scale = scale, Causal = true });
        float[] y = s.Read<float>(vy);
        for (int r = 0; r < rows; r++)
        {
            int kept = Math.Clamp((r % queryRows) + (cols - queryRows) + 1, 0, cols);
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < kept; c++)
            {
                max = Math.Max(max, (double)(x[(r * cols) + c] * scale));
            }

            for (int c = 0; c < kept; c++)
            {
                sum += Math.Exp((x[(r * cols) + c] * scale) - max);
            }

            for (int c = 0; c < cols; c++)
            {
                double want = c < kept ? Math.Exp((x[(r * cols) + c] * scale) - max) / sum : 0;
                AssertClose(want, y[(r * cols) + c], $"causal softmax row {r} (keeps {kept}) col {c} of {rows}×{cols} (output offset {outputOffset}, seed {seed})");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void LargeRopeOutput_MatchesFloat64(int outputOffset)
    {
        const int H = 4, D = 64;
        int tokens = (int)(CpuRowOps.StreamingBytes / sizeof(float) / (H * D)) + 2;
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        int n = tokens * H * D;
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((rnd.NextDouble() * 4) - 2);
        }

        int[] positions = new int[tokens];
        for (int i = 0; i < tokens; i++)
        {
            positions[i] = i % 7 == 0 ? rnd.Next() : rnd.Next(2048);
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView vx = cpu.Allocate(DType.F32, tokens, H, D), vp = cpu.Allocate(DType.I32, tokens);
        TensorView outBuffer = cpu.Allocate(DType.F32, n + outputOffset);
        TensorView vy = outBuffer.Slice(outputOffset, n).Reshape(tokens, H, D);
        s.Write<float>(vx, x);
        s.Write<int>(vp, positions);
        s.Fill(outBuffer, float.NaN);
        cpu.Kernels.Rope(s, vx, vp, vy);
        float[] y = s.Read<float>(vy);
        for (int t = 0; t < tokens; t++)
        {
            for (int p = 0; p < D / 2; p++)
            {
                float angle = OpContracts.RopeAngle(positions[t], OpContracts.RopeInverseFrequency(new RopeOptions().Theta, p, D));
                double c = (float)Math.Cos(angle), sn = (float)Math.Sin(angle);
                for (int h = 0; h < H; h++)
                {
                    int at = (((t * H) + h) * D) + p;
                    double x0 = x[at], x1 = x[at + (D / 2)];
                    string what = $"rope token {t} (position {positions[t]}) head {h} pair {p} (output offset {outputOffset}, seed {seed})";
                    AssertClose((x0 * c) - (x1 * sn), y[at], what, 1e-6);
                    AssertClose((x0 * sn) + (x1 * c), y[at + (D / 2)], what, 1e-6);
                }
            }
        }
    }

    [Fact]
    public void LargeUnpermuteOutput_MatchesFloat64()
    {
        const int H = 4096, K = 3;
        int tokens = (int)(CpuRowOps.StreamingBytes / sizeof(float) / H) + 2, rows = tokens * K;
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        float[] e = new float[(long)rows * H], w = new float[tokens * K];
        int[] slot = new int[tokens * K];
        for (long i = 0; i < e.Length; i++)
        {
            e[i] = (float)((rnd.NextDouble() * 4) - 2);
        }

        for (int i = 0; i < slot.Length; i++)
        {
            slot[i] = i % 11 == 5 ? -1 : rnd.Next(rows); // some choices dropped
            w[i] = (float)rnd.NextDouble();
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView ve = cpu.Allocate(DType.F32, rows, H), vs = cpu.Allocate(DType.I32, tokens, K), vw = cpu.Allocate(DType.F32, tokens, K);
        TensorView vo = cpu.Allocate(DType.F32, tokens, H);
        s.Write<float>(ve, e);
        s.Write<int>(vs, slot);
        s.Write<float>(vw, w);
        s.Fill(vo, float.NaN);
        cpu.Kernels.MoeUnpermute(s, ve, vs, vw, vo);
        float[] o = s.Read<float>(vo);
        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < H; c++)
            {
                double want = 0;
                for (int j = 0; j < K; j++)
                {
                    int r = slot[(t * K) + j];
                    if (r >= 0)
                    {
                        want += (double)w[(t * K) + j] * e[((long)r * H) + c];
                    }
                }

                AssertClose(want, o[((long)t * H) + c], $"unpermute token {t} column {c} (seed {seed})", 1e-5);
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

    private static void AssertClose(double want, float got, string what, double absolute = 1e-30) =>
        CpuFloat64.AssertClose(want, got, what, absolute: absolute);
}
