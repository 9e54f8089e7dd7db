using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// F32 rmsnorm with rows grouped by at most one and at most eight (the CPU's vendor picks one of them, so the
/// conformance suite exercises only that one here): rows wide enough to be grouped, group counts that leave a short
/// last group, rows that fit L1 (always one at a time), a NaN row and an infinite row, every element against float64
/// with the output poisoned first.
/// </summary>
public sealed class CpuRmsGroupTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void GroupedRows_MatchFloat64(int maxGroup)
    {
        const int Seed = 20261203;
        var rnd = new Random(Seed + maxGroup);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        foreach ((int rows, int cols) in new[] { (37, 7168), (13, 16384), (11, 6200), (9, 100) })
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

            x[(2 * cols) + 3] = float.NaN; // row 2: all NaN
            x[(5 * cols) + 1] = float.PositiveInfinity; // row 5: NaN where infinite, zero elsewhere
            TensorView vx = cpu.Allocate(DType.F32, rows, cols), vg = cpu.Allocate(DType.F32, cols), vy = cpu.Allocate(DType.F32, rows, cols);
            s.Write<float>(vx, x);
            s.Write<float>(vg, gamma);
            s.Fill(vy, -7f);
            s.Synchronize();
            CpuRowOps.RmsNorm(new RmsNormArgs(vx, vg, vy, rows, cols, 1e-6f), CpuKernels.P(vx), CpuKernels.P(vg), CpuKernels.P(vy), maxGroup);
            float[] y = s.Read<float>(vy);
            double[] want = CpuFloat64.RmsNorm(x, gamma, rows, cols, 1e-6);
            for (int i = 0; i < y.Length; i++)
            {
                CpuFloat64.AssertClose(want[i], y[i], $"rmsnorm row {i / cols} col {i % cols} of {rows}×{cols}, groups of at most {maxGroup} (seed {Seed + maxGroup})");
            }
        }
    }
}
