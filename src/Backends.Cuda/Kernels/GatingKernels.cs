using ILGPU;
using ILGPU.Algorithms;

namespace Backends.Cuda.Kernels;

/// <summary>
/// The router, DeepSeek-V3 exact, with one warp per token (a group of one warp; one token per group): the lanes walk the experts with a
/// stride of the warp size, so expert e is owned by lane e mod 32, and every reduction (softmax max and sum, the
/// group scores' top two, each top-k pick) is a warp butterfly whose result every lane holds. Owners write their
/// experts' flags, so only the group scores need a fence and a warp barrier.
/// </summary>
internal static class GatingKernels
{
    public static void TopKGating(ArrayView<float> logits, ArrayView<float> bias, ArrayView<float> weights, ArrayView<int> ids, ArrayView<float> work, GatingParams p)
    {
        int lane = Group.IdxX, w = Group.DimX, local = Grid.IdxX;
        long t = p.FirstToken + local;
        if (t >= p.EndToken)
        {
            return;
        }

        int ne = p.Experts;
        long baseW = (long)local * p.Stride;
        long sOff = baseW, keyOff = baseW + ne, gsOff = baseW + (2L * ne), eligOff = baseW + (3L * ne);
        long l = p.LogitsOffset + (t * ne);
        if (p.Sigmoid != 0)
        {
            for (int e = lane; e < ne; e += w)
            {
                work[sOff + e] = 1f / (1f + XMath.Exp(-logits[l + e]));
            }
        }
        else
        {
            // The max skips NaN, but exp(NaN − m) then makes the sum, and every score, NaN: as the reference.
            float m = float.NegativeInfinity;
            for (int e = lane; e < ne; e += w)
            {
                float v = logits[l + e];
                m = v > m ? v : m;
            }

            m = AllMax(m);
            float sum = 0f;
            for (int e = lane; e < ne; e += w)
            {
                float v = XMath.Exp(logits[l + e] - m);
                work[sOff + e] = v;
                sum += v;
            }

            sum = AllSum(sum);
            for (int e = lane; e < ne; e += w)
            {
                work[sOff + e] = work[sOff + e] / sum;
            }
        }

        for (int e = lane; e < ne; e += w)
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
                for (int e = (g * size) + lane; e < (g + 1) * size; e += w)
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

                // The two largest of the whole group: merge each lane's pair with its butterfly partner's.
                for (int off = w / 2; off > 0; off /= 2)
                {
                    float ob = Warp.ShuffleXor(best, off), os = Warp.ShuffleXor(second, off);
                    float hi = ob > best ? ob : best, lo = ob > best ? best : ob;
                    float s2 = os > second ? os : second;
                    second = lo > s2 ? lo : s2;
                    best = hi;
                }

                if (lane == 0)
                {
                    float score = p.HasBias != 0 ? best + second : best;
                    work[gsOff + g] = XMath.IsNaN(score) ? float.NegativeInfinity : score;
                }
            }

            MemoryFence.GroupLevel();
            Warp.Barrier();

            // Every lane picks the same groups (strict comparison upwards: ties to the lower group), then sets the
            // flags of the experts it owns.
            ulong takenMask = 0;
            for (int round = 0; round < p.KeptGroups; round++)
            {
                int bg = -1;
                for (int g = 0; g < p.Groups; g++)
                {
                    bool taken = g < 64 && (takenMask & (1UL << g)) != 0;
                    if (!taken && (bg < 0 || work[gsOff + g] > work[gsOff + bg]))
                    {
                        bg = g;
                    }
                }

                takenMask |= bg < 64 ? 1UL << bg : 0;
                for (int e = lane; e < ne; e += w)
                {
                    if (e / size == bg)
                    {
                        work[eligOff + e] = 1f;
                    }
                }
            }
        }

        MemoryFence.GroupLevel();
        Warp.Barrier();
        float wsum = 0f;
        long o = t * p.K;
        for (int j = 0; j < p.K; j++)
        {
            float bestKey = float.NegativeInfinity;
            int bestId = -1;
            for (int e = lane; e < ne; e += w)
            {
                if (work[eligOff + e] != 0f && (bestId < 0 || work[keyOff + e] > bestKey))
                {
                    bestKey = work[keyOff + e];
                    bestId = e;
                }
            }

            // Warp argmax: the larger key, ties (and −∞ keys) to the lower id.
            for (int off = w / 2; off > 0; off /= 2)
            {
                float ok = Warp.ShuffleXor(bestKey, off);
                int oi = Warp.ShuffleXor(bestId, off);
                if (oi >= 0 && (bestId < 0 || ok > bestKey || (ok == bestKey && oi < bestId)))
                {
                    bestKey = ok;
                    bestId = oi;
                }
            }

            if (bestId % w == lane)
            {
                work[eligOff + bestId] = 0f; // its owner clears it: the next pick's scan is the owner's own
            }

            float s = work[sOff + bestId];
            wsum += s;
            if (lane == 0)
            {
                ids[p.IdsOffset + o + j] = bestId;
                weights[p.WeightsOffset + o + j] = s;
            }
        }

        if (lane == 0)
        {
            for (int j = 0; j < p.K; j++)
            {
                long wi = p.WeightsOffset + o + j;
                weights[wi] = (p.Renormalize != 0 ? weights[wi] / wsum : weights[wi]) * p.Scale;
            }
        }
    }

    private static float AllSum(float v)
    {
        for (int off = Warp.WarpSize / 2; off > 0; off /= 2)
        {
            v += Warp.ShuffleXor(v, off);
        }

        return v;
    }

    private static float AllMax(float v)
    {
        for (int off = Warp.WarpSize / 2; off > 0; off /= 2)
        {
            float o = Warp.ShuffleXor(v, off);
            v = o > v ? o : v;
        }

        return v;
    }
}


/// <summary>The scalars of one router launch (tokens FirstToken .. EndToken − 1).</summary>
internal readonly record struct GatingParams(
    long LogitsOffset, long BiasOffset, long WeightsOffset, long IdsOffset, long FirstToken, long EndToken, long Stride,
    int Experts, int K, int Sigmoid, int HasBias, int Groups, int KeptGroups, int Renormalize, float Scale);
