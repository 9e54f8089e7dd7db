using System;
using System.Runtime.InteropServices;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The elementwise kernels' downward sweep (taken when a streamed output sits just past an input mod 4 KiB, which the
/// conformance suite's separate buffers rarely produce): silu, swiglu, add and mul walking down give the same bits as
/// walking up, for lengths around every step and tail, outputs aligned (non-temporal stores) and not (plain stores),
/// outputs poisoned first, and agree with float64; rmsnorm's row scaling the same across its column blocks; and the
/// choice of direction itself.
/// </summary>
public sealed unsafe class CpuSweepDownTests
{
    private static readonly int[] Lengths = [0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 8229];

    [Theory]
    [InlineData("silu")]
    [InlineData("swiglu")]
    [InlineData("add")]
    [InlineData("mul")]
    public void Down_MatchesUpBitForBit_AndFloat64(string op)
    {
        const int Seed = 20261204;
        var rnd = new Random(Seed);
        const int Max = 8229, Pad = 64;
        float* a = Alloc(Max + Pad), b = Alloc(Max + Pad), up = Alloc(Max + Pad), down = Alloc(Max + Pad);
        try
        {
            for (int i = 0; i < Max + Pad; i++)
            {
                a[i] = (float)((rnd.NextDouble() * 24) - 12);
                b[i] = (float)((rnd.NextDouble() * 8) - 4);
            }

            a[3] = float.NaN;
            a[40] = float.PositiveInfinity;
            a[41] = float.NegativeInfinity;
            b[70] = float.NaN;
            foreach (int yOffset in new[] { 0, 16, 1 })
            {
                foreach (int n in Lengths)
                {
                    new Span<float>(up, Max + Pad).Fill(-7f);
                    new Span<float>(down, Max + Pad).Fill(-7f);
                    Run(op, a, b, up + yOffset, n, down: false);
                    Run(op, a, b, down + yOffset, n, down: true);
                    CpuFused.FenceStreams();
                    string what = $"{op}, n {n}, output offset {yOffset} (seed {Seed})";
                    for (int i = 0; i < Max + Pad - yOffset; i++)
                    {
                        float u = up[yOffset + i], d = down[yOffset + i];
                        Assert.True(BitConverter.SingleToInt32Bits(u) == BitConverter.SingleToInt32Bits(d), $"{what}: element {i} down {d:R}, up {u:R}");
                        if (i >= n)
                        {
                            Assert.True(d == -7f, $"{what}: element {i} past the end written ({d:R})");
                            continue;
                        }

                        CpuFloat64.AssertClose(CpuFloat64.Elementwise(op, a[i], b[i]), d, $"{what}: element {i}", relative: 2e-6);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(up);
            NativeMemory.AlignedFree(down);
        }
    }

    [Fact]
    public void ScaleRowsDown_MatchesUpBitForBit_AndFloat64()
    {
        const int Seed = 20261205;
        var rnd = new Random(Seed);
        const int Rows = 3, Max = 2100, Pad = 64;
        float* x = Alloc(Rows * (Max + Pad)), g = Alloc(Max), up = Alloc(Rows * (Max + Pad)), down = Alloc(Rows * (Max + Pad));
        float** xs = stackalloc float*[Rows];
        float** ysUp = stackalloc float*[Rows];
        float** ysDown = stackalloc float*[Rows];
        float* scales = stackalloc float[Rows];
        try
        {
            for (int i = 0; i < Rows * (Max + Pad); i++)
            {
                x[i] = (float)((rnd.NextDouble() * 16) - 8);
            }

            for (int i = 0; i < Max; i++)
            {
                g[i] = (float)(rnd.NextDouble() + 0.5);
            }

            x[5] = float.NaN;
            x[Max + Pad + 9] = float.PositiveInfinity;
            foreach (int rows in new[] { 1, 3 })
            {
                foreach (int n in new[] { 1, 15, 16, 17, 100, 1023, 1024, 1025, 2100 })
                {
                    foreach (int yOffset in new[] { 0, 16, 1 })
                    {
                        new Span<float>(up, Rows * (Max + Pad)).Fill(-7f);
                        new Span<float>(down, Rows * (Max + Pad)).Fill(-7f);
                        for (int r = 0; r < rows; r++)
                        {
                            xs[r] = x + (r * (Max + Pad));
                            ysUp[r] = up + (r * (Max + Pad)) + yOffset;
                            ysDown[r] = down + (r * (Max + Pad)) + yOffset;
                            scales[r] = 0.25f + r;
                        }

                        CpuFused.ScaleRows(xs, ysUp, scales, rows, g, n, nonTemporal: true, null, 0, false, down: false);
                        CpuFused.ScaleRows(xs, ysDown, scales, rows, g, n, nonTemporal: true, null, 0, false, down: true);
                        CpuFused.FenceStreams();
                        for (int r = 0; r < Rows; r++)
                        {
                            for (int i = 0; i < Max + Pad - yOffset; i++)
                            {
                                string what = $"rows {rows}, n {n}, output offset {yOffset}, row {r}, element {i} (seed {Seed})";
                                float u = up[(r * (Max + Pad)) + yOffset + i], d = down[(r * (Max + Pad)) + yOffset + i];
                                Assert.True(BitConverter.SingleToInt32Bits(u) == BitConverter.SingleToInt32Bits(d), $"{what}: down {d:R}, up {u:R}");
                                if (r >= rows || i >= n)
                                {
                                    Assert.True(d == -7f, $"{what}: written past the rows ({d:R})");
                                    continue;
                                }

                                double want = (double)x[(r * (Max + Pad)) + i] * scales[r] * g[i];
                                Assert.True(double.IsNaN(want) ? float.IsNaN(d) : (d.Equals((float)want) || Math.Abs(d - want) <= 2e-7 * Math.Abs(want)), $"{what}: {d:R}, expected {want:R}");
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(g);
            NativeMemory.AlignedFree(up);
            NativeMemory.AlignedFree(down);
        }
    }

    [Fact]
    public void SweepDown_OnlyWhenAnOutputSitsJustPastAnInput()
    {
        float* x = Alloc(4096);
        try
        {
            byte* p = (byte*)x;
            Assert.False(CpuFused.SweepDown((float*)p, (float*)p, null)); // in place
            Assert.False(CpuFused.SweepDown((float*)(p + 4096), (float*)p, null)); // same place mod 4 KiB
            Assert.True(CpuFused.SweepDown((float*)(p + 64), (float*)p, null));
            Assert.True(CpuFused.SweepDown((float*)(p + 4096 + CpuFused.AliasWindow - 64), (float*)p, null));
            Assert.False(CpuFused.SweepDown((float*)(p + CpuFused.AliasWindow), (float*)p, null));
            Assert.False(CpuFused.SweepDown((float*)p, (float*)(p + 64), null)); // output behind the input
            Assert.True(CpuFused.SweepDown((float*)(p + 128), (float*)p, (float*)(p + 2048))); // one input just behind
            Assert.False(CpuFused.SweepDown((float*)(p + 128), (float*)p, (float*)(p + 192))); // and the other just ahead: down meets it
        }
        finally
        {
            NativeMemory.AlignedFree(x);
        }
    }

    private static void Run(string op, float* a, float* b, float* y, int n, bool down)
    {
        switch (op)
        {
            case "silu": CpuFused.Silu(a, y, n, nonTemporal: true, down); break;
            case "swiglu": CpuFused.SwiGlu(a, b, y, n, nonTemporal: true, down); break;
            case "add": CpuFused.Add(a, b, y, n, nonTemporal: true, down); break;
            default: CpuFused.Multiply(a, b, y, n, nonTemporal: true, down); break;
        }
    }

    private static float* Alloc(int floats) => (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 4096);
}
