using System;
using Xunit;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>The float64 references themselves, against hand-computed values.</summary>
public sealed class ReferenceTests
{
    [Fact]
    public void Gemm_TransposesAndBeta()
    {
        double[] a = [1, 2, 3, 4, 5, 6];            // [2,3]
        double[] bT = [1, 0, 1, 0, 1, 0];           // B stored [N=2, K=3]
        double[] c = [10, 20, 30, 40];
        ReferenceOps.Gemm(a, bT, c, 1, 2, 2, 3, false, true, 2, 0.5, 0, 0);
        Assert.Equal([(2 * 4) + 5, (2 * 2) + 10, (2 * 10) + 15, (2 * 5) + 20], c);
    }

    [Fact]
    public void Softmax_CausalAndSpecials()
    {
        double[] x = [0, 0, 0, 1, 1, 1];
        var y = new double[6];
        ReferenceOps.Softmax(x, y, 2, 3, 2, 1, causal: true);
        Assert.Equal([0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3], y);
        ReferenceOps.Softmax([double.NegativeInfinity, 0], y.AsSpan(0, 2), 1, 2, 1, 1, false);
        Assert.Equal([0.0, 1.0], y[..2]);
    }

    [Fact]
    public void Gating_DeepSeekV3Style_ByHand()
    {
        // 8 experts in 4 groups of 2, keep 2 groups, top-3, sigmoid, bias favouring expert 0.
        double[] logits = [0, 0.1, 2, -2, 1, 1.5, -1, 3];
        double[] bias = [0.9, 0, 0, 0, 0, 0, 0, 0];
        var w = new double[3];
        var ids = new int[3];
        var o = new GatingOptions { TopK = 3, Score = GatingScore.Sigmoid, Groups = 4, TopKGroups = 2, RoutedScale = 2 };
        ReferenceOps.TopKGating(logits, bias, w, ids, 1, 8, o);
        double S(double v) => 1 / (1 + Math.Exp(-v));

        // Group scores (sum of the 2 biased): g0 = S(0)+.9+S(.1) = 1.925, g1 = S(2)+S(-2) = 1, g2 = S(1)+S(1.5) = 1.549, g3 = S(-1)+S(3) = 1.221.
        // Kept: g0, g2. Biased keys: e0 1.4, e1 .525, e4 .731, e5 .818 → ids 0, 5, 4.
        Assert.Equal([0, 5, 4], ids);
        double sum = S(0) + S(1.5) + S(1);
        Assert.Equal(2 * S(0) / sum, w[0], 12);
        Assert.Equal(2 * S(1.5) / sum, w[1], 12);
    }

    [Fact]
    public void Gating_TiesGoToLowerId()
    {
        var w = new double[2];
        var ids = new int[2];
        ReferenceOps.TopKGating([1, 3, 3, 3], [], w, ids, 1, 4, new GatingOptions { TopK = 2 });
        Assert.Equal([1, 2], ids);
    }

    [Fact]
    public void Permute_GroupsByExpert_KeepsTokenOrder_DropsOutOfRange()
    {
        double[] tokens = [10, 20, 30];              // T=3, H=1
        int[] ids = [1, 0, 0, -1, 1, 5];             // k=2, E=2
        var permuted = new double[6];
        var src = new int[6];
        var slot = new int[6];
        var off = new int[3];
        ReferenceOps.MoePermute(tokens, ids, permuted, src, slot, off, 3, 1, 2, 2);
        Assert.Equal([0, 2, 4], off);
        Assert.Equal([10, 20, 10, 30, 0, 0], permuted);
        Assert.Equal([0, 1, 0, 2, -1, -1], src);
        Assert.Equal([2, 0, 1, -1, 3, -1], slot);
    }

    [Fact]
    public void EffectiveOffsets_AreClampedAndMonotone() =>
        Assert.Equal([0, 5, 5, 10, 10], OpContracts.EffectiveOffsets([-3, 5, 2, 99, 7], 10));
}
