using System;
using Backends.Conformance;
using Backends.Cpu;
using Xunit;

namespace Backends.Tests;

/// <summary>
/// The CPU router's group scores and top-k scan on keys full of exact ties and infinities, checked id for id against
/// the float64 reference: the vector top-two of a group (group sizes that are multiples of 16 on AVX-512), the scalar
/// one (other sizes, narrower vectors), and the lower bound that lets the scan skip keys (used when the kept groups'
/// best and second keys number at least k).
/// </summary>
public sealed class CpuGatingTests
{
    [Theory]
    [InlineData(256, 8, 4, 8, true)]    // DeepSeek-V3: groups of 32, the bound in use
    [InlineData(256, 8, 4, 8, false)]   // group score = the best key alone
    [InlineData(512, 8, 2, 8, true)]    // groups of 64 (four vectors), 2·2 < k: no bound
    [InlineData(160, 8, 3, 6, true)]    // groups of 20: the scalar top-two
    [InlineData(1024, 4, 1, 2, true)]   // one kept group of 256
    public void TiedAndInfiniteKeys_ChooseTheReferenceExperts(int experts, int groups, int keptGroups, int k, bool withBias)
    {
        int seed = Environment.TickCount;
        var rnd = new Random(seed);
        const int tokens = 48;

        // Logits from a few exact values (sigmoids far apart in F32 as in float64), so a group has many equal keys; some
        // ±∞ and NaN. Bias 0 or 1: a key s + 1 (> 1) never equals an s + 0 (< 1 for finite logits), so F32 and float64
        // see the same ties.
        double[] pool = [-3, -1, 0, 0.5, 2, 4, double.NegativeInfinity, double.PositiveInfinity, double.NaN];
        float[] logits = new float[tokens * experts];
        double[] logits64 = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            double v = pool[rnd.Next(i % 7 == 0 ? pool.Length : 6)];
            logits[i] = (float)v;
            logits64[i] = v;
        }

        float[] bias = new float[experts];
        double[] bias64 = new double[experts];
        for (int e = 0; e < experts; e++)
        {
            bias[e] = rnd.Next(4) == 0 ? 1 : 0;
            bias64[e] = bias[e];
        }

        var options = new GatingOptions
        {
            TopK = k, Score = GatingScore.Sigmoid, Groups = groups, TopKGroups = keptGroups, Renormalize = true, RoutedScale = 2.5f,
        };
        using Device cpu = new BackendRegistry().AddCpu().Open("cpu:0");
        using DeviceStream s = cpu.CreateStream();
        TensorView vl = cpu.Allocate(DType.F32, tokens, experts), vb = cpu.Allocate(DType.F32, experts);
        TensorView vw = cpu.Allocate(DType.F32, tokens, k), vi = cpu.Allocate(DType.I32, tokens, k);
        s.Write<float>(vl, logits);
        s.Write<float>(vb, bias);
        s.Fill(vw, -1f);
        s.Write<int>(vi, new int[tokens * k]);
        cpu.Kernels.TopKGating(s, vl, withBias ? vb : null, vw, vi, options);
        int[] ids = s.Read<int>(vi);
        float[] w = s.Read<float>(vw);

        double[] wantW = new double[tokens * k];
        int[] wantIds = new int[tokens * k];
        ReferenceOps.TopKGating(logits64, withBias ? bias64 : [], wantW, wantIds, tokens, experts, options);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.True(
                wantIds[i] == ids[i],
                $"token {i / k} choice {i % k}: expert {ids[i]}, expected {wantIds[i]} (E={experts}, groups {groups}, kept {keptGroups}, k {k}, bias {withBias}, vector top-two {CpuFused.HasVectorTop2}, seed {seed})");
            Assert.True(
                double.IsNaN(wantW[i]) ? float.IsNaN(w[i]) : Math.Abs(w[i] - wantW[i]) <= 1e-5 * Math.Max(1, Math.Abs(wantW[i])),
                $"token {i / k} choice {i % k}: weight {w[i]:R}, expected {wantW[i]:R} (seed {seed})");
        }
    }
}
