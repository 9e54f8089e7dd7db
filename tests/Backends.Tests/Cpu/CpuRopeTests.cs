using System;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU RoPE's cos/sin rows cached between calls: positions inside the cache, beyond it and negative, two thetas
/// one after the other (the cache must not serve one theta's rows to the other), each checked against float64.
/// </summary>
public sealed class CpuRopeTests
{
    [Fact]
    public void CachedAndUncachedPositions_MatchFloat64_ForEachTheta()
    {
        const int T = 9, H = 3, D = 16;
        int[] positions = [0, 1, 7, 300, 1 << 20, int.MaxValue, -7, 4095, 300];
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        float[] x = new float[T * H * D];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((rnd.NextDouble() * 4) - 2);
        }

        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView vx = cpu.Allocate(DType.F32, T, H, D), vp = cpu.Allocate(DType.I32, T), vy = cpu.Allocate(DType.F32, T, H, D);
        s.Write<float>(vx, x);
        s.Write<int>(vp, positions);
        foreach (float theta in new[] { 10000f, 500000f, 10000f })
        {
            for (int call = 0; call < 2; call++)
            {
                s.Fill(vy, float.NaN);
                cpu.Kernels.Rope(s, vx, vp, vy, new RopeOptions { Theta = theta });
                float[] y = s.Read<float>(vy);
                Assert.True(CpuRope.CachedPositions > 0, "the rows of small positions are cached");
                for (int tok = 0; tok < T; tok++)
                {
                    for (int h = 0; h < H; h++)
                    {
                        for (int p = 0; p < D / 2; p++)
                        {
                            float angle = OpContracts.RopeAngle(positions[tok], OpContracts.RopeInverseFrequency(theta, p, D));
                            double c = (float)Math.Cos(angle), sn = (float)Math.Sin(angle);
                            int at = (((tok * H) + h) * D) + p;
                            double x0 = x[at], x1 = x[at + (D / 2)];
                            Check((x0 * c) - (x1 * sn), y[at], tok, p, theta, call, seed);
                            Check((x0 * sn) + (x1 * c), y[at + (D / 2)], tok, p, theta, call, seed);
                        }
                    }
                }
            }
        }
    }

    private static void Check(double want, float got, int tok, int pair, float theta, int call, int seed) =>
        Assert.True(
            Math.Abs(got - want) <= 1e-6 * Math.Max(1, Math.Abs(want)),
            $"token {tok} pair {pair} theta {theta} call {call}: got {got:R}, expected {want:R} (seed {seed})");
}
