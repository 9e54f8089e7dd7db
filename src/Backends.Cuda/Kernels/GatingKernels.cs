using ILGPU;
using ILGPU.Algorithms;

namespace Backends.Cuda.Kernels;

/// <summary>
/// The router (DeepSeek-V3 exact): one thread per token; its scores, selection keys, group scores and flags live in
/// scratch memory (<c>stride</c> floats per token of the launch), so any expert count works. Comparisons are strict while
/// scanning upwards, so ties go to the lower id; NaN scores count as −∞.
/// </summary>
internal static class GatingKernels
{
    public static void TopKGating(Index1D index, ArrayView<float> logits, ArrayView<float> bias, ArrayView<float> weights, ArrayView<int> ids, ArrayView<float> work, GatingParams p)
    {
        int local = index;
        long t = p.FirstToken + local;
        if (t >= p.EndToken)
        {
            return;
        }

        int ne = p.Experts;
        long baseW = (long)local * p.Stride;
        long sOff = baseW, keyOff = baseW + ne, gsOff = baseW + (2L * ne), eligOff = baseW + (3L * ne), takenOff = baseW + (4L * ne);
        long l = p.LogitsOffset + (t * ne);
        if (p.Sigmoid != 0)
        {
            for (int e = 0; e < ne; e++)
            {
                work[sOff + e] = 1f / (1f + XMath.Exp(-logits[l + e]));
            }
        }
        else
        {
            // The max skips NaN, but exp(NaN − m) then makes the sum, and every score, NaN: as the reference.
            float m = float.NegativeInfinity;
            for (int e = 0; e < ne; e++)
            {
                float v = logits[l + e];
                m = v > m ? v : m;
            }

            float sum = 0f;
            for (int e = 0; e < ne; e++)
            {
                float v = XMath.Exp(logits[l + e] - m);
                work[sOff + e] = v;
                sum += v;
            }

            for (int e = 0; e < ne; e++)
            {
                work[sOff + e] = work[sOff + e] / sum;
            }
        }

        for (int e = 0; e < ne; e++)
        {
            float v = work[sOff + e] + (p.HasBias != 0 ? bias[p.BiasOffset + e] : 0f);
            work[keyOff + e] = XMath.IsNaN(v) ? float.NegativeInfinity : v;
            work[eligOff + e] = p.Groups > 1 ? 0f : 1f;
        }

        if (p.Groups > 1)
        {
            int size = ne / p.Groups;
            for (int g = 0; g < p.Groups; g++)
            {
                float best = float.NegativeInfinity, second = float.NegativeInfinity;
                for (int e = g * size; e < (g + 1) * size; e++)
                {
                    float v = work[keyOff + e];
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

                float score = p.HasBias != 0 ? best + second : best;
                work[gsOff + g] = XMath.IsNaN(score) ? float.NegativeInfinity : score;
                work[takenOff + g] = 0f;
            }

            for (int round = 0; round < p.KeptGroups; round++)
            {
                int bg = -1;
                for (int g = 0; g < p.Groups; g++)
                {
                    if (work[takenOff + g] == 0f && (bg < 0 || work[gsOff + g] > work[gsOff + bg]))
                    {
                        bg = g;
                    }
                }

                work[takenOff + bg] = 1f;
                for (int e = bg * size; e < (bg + 1) * size; e++)
                {
                    work[eligOff + e] = 1f;
                }
            }
        }

        float wsum = 0f;
        long o = t * p.K;
        for (int j = 0; j < p.K; j++)
        {
            int best = -1;
            for (int e = 0; e < ne; e++)
            {
                if (work[eligOff + e] != 0f && (best < 0 || work[keyOff + e] > work[keyOff + best]))
                {
                    best = e;
                }
            }

            work[eligOff + best] = 0f;
            ids[p.IdsOffset + o + j] = best;
            float s = work[sOff + best];
            weights[p.WeightsOffset + o + j] = s;
            wsum += s;
        }

        for (int j = 0; j < p.K; j++)
        {
            long w = p.WeightsOffset + o + j;
            weights[w] = (p.Renormalize != 0 ? weights[w] / wsum : weights[w]) * p.Scale;
        }
    }
}

/// <summary>The scalars of one router launch (tokens FirstToken .. EndToken − 1).</summary>
internal readonly record struct GatingParams(
    long LogitsOffset, long BiasOffset, long WeightsOffset, long IdsOffset, long FirstToken, long EndToken, long Stride,
    int Experts, int K, int Sigmoid, int HasBias, int Groups, int KeptGroups, int Renormalize, float Scale);
