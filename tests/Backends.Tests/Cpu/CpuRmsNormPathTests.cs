using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU's F32 rmsnorm paths, every element against float64 with the output poisoned first: rows four at a time in
/// one pass (row counts that leave one to three rows for the last step or fewer than four next rows, where the last
/// stands in for the missing ones; in place too), rows too wide for that (a row at a time, with and without the next
/// row fetched), and an output the stores must walk down through. Each row's result must also be bit for bit the result
/// of normalising that row alone: a row's sum of squares is taken either by the four-row step or at the start of a
/// range, and the two must agree.
/// </summary>
public sealed class CpuRmsNormPathTests
{
    private const int Seed = 20261202;

    [Fact]
    public void FourRowSteps_MatchFloat64_AndEachRowAlone()
    {
        var rnd = new Random(Seed);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        foreach ((int rows, int cols) in new[] { (1, 7168), (2, 100), (3, 17), (5, 6200), (6, 4096), (7, 15), (9, 7168), (13, 1), (37, 7168), (70, 1000) })
        {
            Assert.True(8L * cols * sizeof(float) <= CpuCaches.L2, $"{cols} columns should take the four-row steps");
            foreach (bool inPlace in new[] { false, true })
            {
                (float[] x, float[] gamma) = Inputs(rnd, rows, cols);
                string what = $"rmsnorm {rows}×{cols}{(inPlace ? " in place" : string.Empty)} (seed {Seed})";
                float[] y = Run(cpu, s, x, gamma, rows, cols, inPlace);
                AssertRows(x, gamma, y, rows, cols, what);

                // Each row alone: the same bits as in the run of all rows (where the step before summed it, unless it
                // begins a worker's range).
                for (int r = 0; r < rows; r++)
                {
                    float[] alone = Run(cpu, s, x.AsSpan(r * cols, cols).ToArray(), gamma, 1, cols, inPlace);
                    for (int c = 0; c < cols; c++)
                    {
                        Assert.True(
                            BitConverter.SingleToInt32Bits(alone[c]) == BitConverter.SingleToInt32Bits(y[(r * cols) + c]),
                            $"{what}: row {r} col {c} is {y[(r * cols) + c]:R} among all rows but {alone[c]:R} alone");
                    }
                }
            }
        }
    }

    [Fact]
    public void RowsTooWideForFourRowSteps_MatchFloat64()
    {
        var rnd = new Random(Seed + 1);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();

        // Just past an eighth of L2 (a row at a time, the next row fetched), and past a quarter (no fetch).
        foreach (int cols in new[] { (int)(CpuCaches.L2 / 32) + 3, (int)(CpuCaches.L2 / 16) + 1 })
        {
            const int Rows = 5;
            (float[] x, float[] gamma) = Inputs(rnd, Rows, cols);
            float[] y = Run(cpu, s, x, gamma, Rows, cols, inPlace: false);
            AssertRows(x, gamma, y, Rows, cols, $"rmsnorm {Rows}×{cols} (seed {Seed + 1})");
        }
    }

    [Fact]
    public unsafe void OutputWalkedDown_MatchesFloat64()
    {
        // x and y in one buffer, y 64 bytes past x modulo 4 KiB and large enough to be streamed: the stores walk down.
        // Gamma in the same buffer, 2 KiB from y modulo 4 KiB: in a buffer of its own it fell just past y modulo 4 KiB
        // in about one run of twenty, and the sweep then rightly walks up (SweepDown).
        const int Rows = 300, Cols = 7168, Gap = 16, GammaPad = 512;
        var rnd = new Random(Seed + 2);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        using DeviceBuffer buffer = cpu.AllocateBuffer(DType.F32, (2L * Rows * Cols) + Gap + GammaPad + Cols);
        var vx = new TensorView(buffer, 0, Rows, Cols);
        var vy = new TensorView(buffer, ((long)Rows * Cols) + Gap, Rows, Cols);
        var vg = new TensorView(buffer, (2L * Rows * Cols) + Gap + GammaPad, Cols);
        Assert.True(CpuRowOps.StreamsOutput(vy, vx), "the output should be streamed");
        Assert.True(CpuFused.SweepDown((float*)CpuKernels.P(vy), (float*)CpuKernels.P(vx), (float*)CpuKernels.P(vg)), "the stores should walk down");
        (float[] x, float[] gamma) = Inputs(rnd, Rows, Cols);
        s.Write<float>(vx, x);
        s.Write<float>(vg, gamma);
        s.Fill(vy, -7f);
        cpu.Kernels.RmsNorm(s, vx, vg, vy);
        AssertRows(x, gamma, s.Read<float>(vy), Rows, Cols, $"rmsnorm {Rows}×{Cols} walked down (seed {Seed + 2})");
    }

    private static (float[] X, float[] Gamma) Inputs(Random rnd, int rows, int cols)
    {
        float[] x = new float[rows * cols], gamma = new float[cols];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((rnd.NextDouble() * 16) - 8);
        }

        for (int i = 0; i < cols; i++)
        {
            gamma[i] = (float)(rnd.NextDouble() + 0.5);
        }

        if (rows > 2)
        {
            x[(2 * cols) + (cols / 2)] = float.NaN; // row 2: all NaN
        }

        if (rows > 5)
        {
            x[(5 * cols) + (cols - 1)] = float.PositiveInfinity; // row 5: NaN where infinite, zero elsewhere
        }

        return (x, gamma);
    }

    private static float[] Run(Device cpu, DeviceStream s, float[] x, float[] gamma, int rows, int cols, bool inPlace)
    {
        TensorView vx = cpu.Allocate(DType.F32, rows, cols), vg = cpu.Allocate(DType.F32, cols);
        TensorView vy = inPlace ? vx : cpu.Allocate(DType.F32, rows, cols);
        s.Write<float>(vx, x);
        s.Write<float>(vg, gamma);
        if (!inPlace)
        {
            s.Fill(vy, -7f);
        }

        cpu.Kernels.RmsNorm(s, vx, vg, vy);
        return s.Read<float>(vy);
    }

    private static void AssertRows(float[] x, float[] gamma, float[] y, int rows, int cols, string what)
    {
        double[] want = CpuFloat64.RmsNorm(x, gamma, rows, cols, 1e-6);
        for (int i = 0; i < y.Length; i++)
        {
            CpuFloat64.AssertClose(want[i], y[i], $"{what}: row {i / cols} col {i % cols}");
        }
    }
}
