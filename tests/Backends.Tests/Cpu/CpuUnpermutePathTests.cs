using System;
using System.Runtime.Intrinsics;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU's F32 moe-unpermute paths, every output element bit for bit against the chain of multiply-adds the contract's
/// order gives (from +0, over the live choices in choice order; fused where the vector code fuses), with the output
/// poisoned first: four or eight slots with the next token's rows fetched or not (k ≤ 4 and k ≥ 5 on AMD cores), four
/// or two vectors a step and the rest, rows with dropped choices (fewer live rows than slots), more live rows than one
/// chain takes, and a streamed output.
/// </summary>
public sealed class CpuUnpermutePathTests
{
    private const int Seed = 20261203;

    /// <summary>Whether the CPU's vector multiply-add is fused (as <c>VecOps</c> picks it).</summary>
    private static readonly bool Fused = Vector512.IsHardwareAccelerated
        || System.Runtime.Intrinsics.X86.Fma.IsSupported
        || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    [Fact]
    public void EverySlotCountAndWidth_MatchTheChainBitForBit()
    {
        var rnd = new Random(Seed);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        foreach (int k in new[] { 1, 2, 3, 4, 5, 6, 8, 10 })
        {
            foreach (int h in new[] { 1, 15, 16, 17, 31, 33, 48, 63, 64, 65, 80, 100, 127, 130, 1000 })
            {
                foreach (bool drop in new[] { false, true })
                {
                    Check(cpu, s, rnd, tokens: 7, h, k, drop, $"T=7 H={h} k={k}{(drop ? " with dropped choices" : string.Empty)} (seed {Seed})");
                }
            }
        }
    }

    [Fact]
    public void StreamedOutput_MatchesTheChainBitForBit()
    {
        // An output of at least 8 MiB (non-temporal stores), k = 8 and k = 4, the hidden size of DeepSeek-V3.
        const int H = 7168;
        int tokens = (int)(CpuRowOps.StreamingBytes / sizeof(float) / H) + 3;
        var rnd = new Random(Seed + 1);
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        foreach (int k in new[] { 8, 4 })
        {
            Check(cpu, s, rnd, tokens, H, k, drop: k == 4, $"T={tokens} H={H} k={k}, streamed (seed {Seed + 1})");
        }
    }

    private static void Check(Device cpu, DeviceStream s, Random rnd, int tokens, int h, int k, bool drop, string what)
    {
        int rows = tokens * k;
        float[] e = new float[(long)rows * h];
        for (long i = 0; i < e.Length; i++)
        {
            e[i] = (float)((rnd.NextDouble() * 4) - 2);
        }

        int[] slot = new int[rows];
        float[] w = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            slot[i] = i;
            w[i] = (float)rnd.NextDouble();
        }

        rnd.Shuffle(slot);
        if (drop)
        {
            for (int i = 0; i < rows; i++)
            {
                if (rnd.Next(4) == 0)
                {
                    slot[i] = rnd.Next(2) == 0 ? -1 : rows + rnd.Next(3);
                }
            }
        }

        TensorView ve = cpu.Allocate(DType.F32, rows, h), vs = cpu.Allocate(DType.I32, tokens, k), vw = cpu.Allocate(DType.F32, tokens, k);
        TensorView vo = cpu.Allocate(DType.F32, tokens, h);
        try
        {
            s.Write<float>(ve, e);
            s.Write<int>(vs, slot);
            s.Write<float>(vw, w);
            s.Fill(vo, float.NaN);
            cpu.Kernels.MoeUnpermute(s, ve, vs, vw, vo);
            float[] o = s.Read<float>(vo);
            for (int t = 0; t < tokens; t++)
            {
                for (int c = 0; c < h; c++)
                {
                    float want = 0f;
                    for (int j = 0; j < k; j++)
                    {
                        int r = slot[(t * k) + j];
                        if ((uint)r < (uint)rows)
                        {
                            float x = e[((long)r * h) + c], wj = w[(t * k) + j];
                            want = Fused ? MathF.FusedMultiplyAdd(x, wj, want) : (x * wj) + want;
                        }
                    }

                    float got = o[((long)t * h) + c];
                    Assert.True(
                        BitConverter.SingleToInt32Bits(got) == BitConverter.SingleToInt32Bits(want),
                        $"moe-unpermute {what}: token {t} column {c} is {got:R}, the chain in choice order gives {want:R}");
                }
            }
        }
        finally
        {
            ve.Buffer.Dispose();
            vs.Buffer.Dispose();
            vw.Buffer.Dispose();
            vo.Buffer.Dispose();
        }
    }
}
