using ILGPU;

namespace Backends.Cuda.Kernels;

/// <summary>
/// MoE routing without atomics, the same bits on every run: permute is a stable counting sort of the T·k choices by
/// expert (one thread; deterministic by construction), then a parallel gather of rows; unpermute is a gather that sums
/// each token's choices in j order.
/// </summary>
internal static class MoeKernels
{
    /// <summary>Counting sort of the choices: writes offsets [E+1], slotOf [T·k] and rowSource [T·k]; next is E ints of scratch.</summary>
    public static void PermuteIndex(Index1D index, ArrayView<int> ids, ArrayView<int> offsets, ArrayView<int> slotOf, ArrayView<int> rowSource, ArrayView<int> next, PermuteParams p)
    {
        if (index != 0)
        {
            return;
        }

        for (int e = 0; e < p.Experts; e++)
        {
            next[e] = 0;
        }

        for (long i = 0; i < p.Choices; i++)
        {
            int e = ids[p.IdsOffset + i];
            if (e >= 0 && e < p.Experts)
            {
                next[e]++;
            }
        }

        int run = 0;
        for (int e = 0; e < p.Experts; e++)
        {
            offsets[p.OffsetsOffset + e] = run;
            int c = next[e];
            next[e] = run;
            run += c;
        }

        offsets[p.OffsetsOffset + p.Experts] = run;
        for (long r = 0; r < p.Choices; r++)
        {
            rowSource[p.RowSourceOffset + r] = -1;
        }

        for (long i = 0; i < p.Choices; i++)
        {
            int e = ids[p.IdsOffset + i];
            if (e >= 0 && e < p.Experts)
            {
                int slot = next[e]++;
                slotOf[p.SlotOffset + i] = slot;
                rowSource[p.RowSourceOffset + slot] = (int)(i / p.K);
            }
            else
            {
                slotOf[p.SlotOffset + i] = -1;
            }
        }
    }

    /// <summary>permuted[r, :] = tokens[rowSource[r], :], or 0 for rows no choice took.</summary>
    public static void PermuteGather(Index1D index, ArrayView<byte> tokens, ArrayView<int> rowSource, ArrayView<byte> permuted, GatherParams p)
    {
        long total = p.Rows * p.H;
        for (long i = index; i < total; i += p.Step)
        {
            long r = i / p.H, c = i % p.H;
            int token = rowSource[p.RowSourceOffset + r];
            float v = token < 0 ? 0f : Numerics.Load(tokens, p.Type, p.InOffset + ((long)token * p.H) + c);
            Numerics.Store(permuted, p.Type, p.OutOffset + i, v);
        }
    }

    /// <summary>out[t, c] = Σ_j w[t, j] · expertOut[slotOf[t, j], c] in j order; slots outside [0, R) add nothing.</summary>
    public static void Unpermute(Index1D index, ArrayView<byte> expertOut, ArrayView<int> slotOf, ArrayView<float> weights, ArrayView<byte> output, UnpermuteParams p)
    {
        long total = p.Tokens * p.H;
        for (long i = index; i < total; i += p.Step)
        {
            long t = i / p.H, c = i % p.H;
            float acc = 0f;
            for (int j = 0; j < p.K; j++)
            {
                int s = slotOf[p.SlotOffset + (t * p.K) + j];
                if (s >= 0 && s < p.Rows)
                {
                    acc += weights[p.WeightsOffset + (t * p.K) + j] * Numerics.Load(expertOut, p.Type, p.InOffset + ((long)s * p.H) + c);
                }
            }

            Numerics.Store(output, p.Type, p.OutOffset + i, acc);
        }
    }
}

/// <summary>The scalars of the permute index kernel.</summary>
internal readonly record struct PermuteParams(long IdsOffset, long OffsetsOffset, long SlotOffset, long RowSourceOffset, long Choices, int K, int Experts);

/// <summary>The scalars of the permute gather kernel.</summary>
internal readonly record struct GatherParams(long InOffset, long OutOffset, long RowSourceOffset, long Rows, long H, long Step, int Type);

/// <summary>The scalars of the unpermute kernel.</summary>
internal readonly record struct UnpermuteParams(long InOffset, long OutOffset, long SlotOffset, long WeightsOffset, long Tokens, long H, long Step, int K, int Rows, int Type);
