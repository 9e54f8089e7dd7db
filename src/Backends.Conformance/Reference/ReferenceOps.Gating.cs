using System;
using System.Collections.Generic;

namespace Backends.Conformance;

/// <content>The router reference.</content>
public static partial class ReferenceOps
{
    /// <summary>
    /// The MoE router exactly as <see cref="IKernels.TopKGating"/> defines it, in float64: scores, selection with bias and
    /// group limit, top-k (descending, ties to the lower id, NaN as −∞), unbiased weights, renormalisation, scale.
    /// </summary>
    /// <param name="logits">[T,E].</param>
    /// <param name="bias">[E] or empty for none.</param>
    /// <param name="weights">Output [T,K].</param>
    /// <param name="ids">Output [T,K].</param>
    /// <param name="tokens">T.</param>
    /// <param name="experts">E.</param>
    /// <param name="options">Router options.</param>
    public static void TopKGating(ReadOnlySpan<double> logits, ReadOnlySpan<double> bias, Span<double> weights, Span<int> ids,
        int tokens, int experts, GatingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int k = options.TopK;
        var s = new double[experts];
        var key = new double[experts];
        for (int t = 0; t < tokens; t++)
        {
            GatingScores(logits.Slice(t * experts, experts), bias, options.Score, s, key);
            bool[] eligible = KeptGroups(key, experts, options, bias.Length > 0, out _);
            int[] chosen = TopByKey(key, eligible, k);
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                sum += s[chosen[j]];
            }

            for (int j = 0; j < k; j++)
            {
                double w = s[chosen[j]];
                if (options.EffectiveRenormalize)
                {
                    w /= sum;
                }

                weights[(t * k) + j] = w * options.RoutedScale;
                ids[(t * k) + j] = chosen[j];
            }
        }
    }

    /// <summary>Scores s and selection keys (s + bias, NaN replaced by −∞) of one token.</summary>
    /// <param name="logits">The token's logits [E].</param>
    /// <param name="bias">[E] or empty.</param>
    /// <param name="score">Score function.</param>
    /// <param name="s">Output scores.</param>
    /// <param name="key">Output selection keys.</param>
    internal static void GatingScores(ReadOnlySpan<double> logits, ReadOnlySpan<double> bias, GatingScore score, double[] s, double[] key)
    {
        int experts = logits.Length;
        if (score == GatingScore.Softmax)
        {
            Softmax(logits, s, 1, experts, 1, 1.0, false);
        }
        else
        {
            for (int e = 0; e < experts; e++)
            {
                s[e] = Sigmoid(logits[e]);
            }
        }

        for (int e = 0; e < experts; e++)
        {
            double v = s[e] + (bias.Length > 0 ? bias[e] : 0);
            key[e] = double.IsNaN(v) ? double.NegativeInfinity : v;
        }
    }

    /// <summary>The experts eligible after the group limit, and each group's score.</summary>
    /// <param name="key">Selection keys [E].</param>
    /// <param name="experts">E.</param>
    /// <param name="options">Router options.</param>
    /// <param name="hasBias">Whether a bias was given (group score = sum of top-2 instead of max).</param>
    /// <param name="groupScores">Output: each group's score.</param>
    /// <returns>Eligibility per expert.</returns>
    internal static bool[] KeptGroups(double[] key, int experts, GatingOptions options, bool hasBias, out double[] groupScores)
    {
        int groups = options.Groups, size = experts / groups;
        groupScores = new double[groups];
        var eligible = new bool[experts];
        if (groups == 1)
        {
            Array.Fill(eligible, true);
            groupScores[0] = double.PositiveInfinity;
            return eligible;
        }

        for (int g = 0; g < groups; g++)
        {
            double best = double.NegativeInfinity, second = double.NegativeInfinity;
            for (int e = g * size; e < (g + 1) * size; e++)
            {
                double v = key[e];
                if (v > best)
                {
                    second = best;
                    best = v;
                }
                else if (v > second)
                {
                    second = v;
                }
            }

            groupScores[g] = hasBias ? best + second : best;
        }

        var groupKeys = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            groupKeys[g] = double.IsNaN(groupScores[g]) ? double.NegativeInfinity : groupScores[g];
        }

        int[] kept = TopByKey(groupKeys, null, options.TopKGroups);
        foreach (int g in kept)
        {
            for (int e = g * size; e < (g + 1) * size; e++)
            {
                eligible[e] = true;
            }
        }

        return eligible;
    }

    /// <summary>The <paramref name="k"/> best indices by key, descending, ties to the lower index.</summary>
    /// <param name="key">Keys (no NaN).</param>
    /// <param name="eligible">Which indices may be chosen, or null for all.</param>
    /// <param name="k">How many.</param>
    /// <returns>The indices in order.</returns>
    internal static int[] TopByKey(double[] key, bool[]? eligible, int k)
    {
        var order = new List<int>(key.Length);
        for (int i = 0; i < key.Length; i++)
        {
            if (eligible is null || eligible[i])
            {
                order.Add(i);
            }
        }

        order.Sort((x, y) => key[x] != key[y] ? key[y].CompareTo(key[x]) : x.CompareTo(y));
        return order.GetRange(0, k).ToArray();
    }
}
