using System;
using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// Equal inputs give bit-identical outputs wherever they sit in a row: in a kernel's whole vectors or in its tail. A
/// tail computed by other code (a scalar exp beside a vector one) differs in the last bits, which the tolerance of the
/// conformance checks hides but the router's tie rule does not: on the CPU at 256 and 128 bits, softmax scores of
/// equal logits at expert 13 and expert 32 of 33 differed, and expert 32 was chosen before 13. Row lengths here cover
/// one vector and more of every width (4, 8, 16 floats) plus a ragged rest. Runs on every device.
/// </summary>
public sealed class PositionIndependenceTests
{
    public static TheoryData<string> Devices() => [.. TestDevices.Ids];

    private static readonly int[] Lengths = [5, 37, 75];

    private static readonly float[] Values = [-20.5f, -3.7f, 0.3f, 5.1f];

    private static void AssertAllEqual(float[] y, string what)
    {
        uint first = BitConverter.SingleToUInt32Bits(y[0]);
        for (int i = 1; i < y.Length; i++)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(y[i]) == first, $"{what}: element {i} is {y[i]:R}, element 0 is {y[0]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ElementwiseAndRowOps_GiveEqualOutputsForEqualInputs(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        foreach (int n in Lengths)
        {
            foreach (float v in Values)
            {
                float[] x = Enumerable.Repeat(v, 2 * n).ToArray();
                using DeviceBuffer bx = d.AllocateBuffer(DType.F32, 2 * n), bu = d.AllocateBuffer(DType.F32, 2 * n), by = d.AllocateBuffer(DType.F32, 2 * n);
                TensorView vx = bx.View(2, n), vu = bu.View(2, n), vy = by.View(2, n);
                s.Write<float>(vx, x);
                s.Write<float>(vu, Enumerable.Repeat(0.75f, 2 * n).ToArray());

                d.Kernels.Silu(s, vx, vy);
                AssertAllEqual(s.Read<float>(vy), $"{device} silu of {n} × {v}");
                d.Kernels.SwiGlu(s, vx, vu, vy);
                AssertAllEqual(s.Read<float>(vy), $"{device} swiglu of {n} × {v}");
                d.Kernels.Softmax(s, vx, vy);
                AssertAllEqual(s.Read<float>(vy), $"{device} softmax of rows of {n} × {v}");

                // Unpermute: one token, two slots, each expert row constant.
                using DeviceBuffer slots = d.AllocateBuffer(DType.I32, 2), weights = d.AllocateBuffer(DType.F32, 2), bo = d.AllocateBuffer(DType.F32, n);
                s.Write<int>(slots.View(1, 2), [1, 0]);
                s.Write<float>(weights.View(1, 2), [0.3f, 1.7f]);
                s.Write<float>(vu, Enumerable.Repeat(v, n).Concat(Enumerable.Repeat(-0.6f, n)).ToArray());
                d.Kernels.MoeUnpermute(s, vu, slots.View(1, 2), weights.View(1, 2), bo.View(1, n));
                AssertAllEqual(s.Read<float>(bo.View(1, n)), $"{device} moe-unpermute of rows of {n}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Router_ExactTiesGoToTheLowerIdsWhereverTheExpertsSit(string device)
    {
        Device d = TestDevices.Get(device);
        using DeviceStream s = d.CreateStream();
        foreach (int experts in new[] { 33, 47, 75 })
        {
            foreach (GatingScore score in new[] { GatingScore.Softmax, GatingScore.Sigmoid })
            {
                // Expert 1 above the rest, which tie: exp(x − max) of the ties is not exactly 1, so a tail computed
                // by another exp than the vectors shows (all logits equal would give exp(0) = 1 either way).
                const int tokens = 3, k = 15;
                float[] x = Enumerable.Repeat(0.7f, tokens * experts).ToArray();
                for (int t = 0; t < tokens; t++)
                {
                    x[(t * experts) + 1] = 3f;
                }

                using DeviceBuffer logits = d.AllocateBuffer(DType.F32, tokens * experts), w = d.AllocateBuffer(DType.F32, tokens * k), ids = d.AllocateBuffer(DType.I32, tokens * k);
                s.Write<float>(logits.View(tokens, experts), x);
                d.Kernels.TopKGating(s, logits.View(tokens, experts), null, w.View(tokens, k), ids.View(tokens, k), new GatingOptions { TopK = k, Score = score });
                int[] got = s.Read<int>(ids.View(tokens, k));
                float[] weights = s.Read<float>(w.View(tokens, k));
                int[] expected = [1, 0, .. Enumerable.Range(2, k - 2)];
                for (int t = 0; t < tokens; t++)
                {
                    Assert.True(got.Skip(t * k).Take(k).SequenceEqual(expected),
                        $"{device} {score}, {experts} experts, expert 1 first and the rest tied: token {t} chose [{string.Join(",", got.Skip(t * k).Take(k))}], ties must go to the lower ids");
                    AssertAllEqual(weights.Skip((t * k) + 1).Take(k - 1).ToArray(), $"{device} {score} weights of {experts} tied experts, token {t}");
                }
            }
        }
    }
}
