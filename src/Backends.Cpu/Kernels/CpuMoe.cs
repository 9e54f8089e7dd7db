using System;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Backends.Cpu;

/// <summary>The MoE ops: router, permute, unpermute and grouped GEMM.</summary>
internal static unsafe class CpuMoe
{
    /// <summary>The router, per token, in F32 (see <see cref="IKernels.TopKGating"/>).</summary>
    public static void TopKGating(GatingArgs a, nint logits, nint bias, nint weights, nint ids)
    {
        int experts = a.Experts, k = a.K, groups = a.Options.Groups, size = a.GroupSize;
        GatingOptions o = a.Options;
        bool hasBias = bias != 0;
        CpuParallel.For(a.Tokens, Math.Max(1, 4096 / experts), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            Span<float> s = CpuConvert.Scratch(0, experts);
            Span<float> key = CpuConvert.Scratch(1, experts);
            Span<float> gs = CpuConvert.Scratch(2, groups);
            Span<float> seconds = CpuConvert.Scratch(3, groups);
            bool[] keptGroup = new bool[groups];
            for (long t = t0; t < t1; t++)
            {
                // Scores and keys by this library's own vector kernels (fully optimised on first use; the library
                // math they replace stayed in unoptimised code in a one-processor process).
                float* l = (float*)logits + (t * experts);
                fixed (float* ps = s, pk = key)
                {
                    bool softmax = o.Score == GatingScore.Softmax;
                    if (softmax)
                    {
                        CpuFused.SoftmaxRow(l, ps, experts, experts, 1f, null);
                    }

                    CpuFused.GatingKeys(l, ps, hasBias ? (float*)bias : null, pk, experts, softmax);
                }

                // A lower bound on the k-th best key of the kept groups (see below); −∞ = none.
                float floor = float.NegativeInfinity;
                if (groups > 1)
                {
                    fixed (float* pk = key)
                    {
                        for (int g = 0; g < groups; g++)
                        {
                            (float best, float second) = CpuFused.Top2(pk + (g * size), size);
                            seconds[g] = second;
                            float score = hasBias ? best + second : best;
                            gs[g] = float.IsNaN(score) ? float.NegativeInfinity : score;
                        }
                    }

                    Array.Clear(keptGroup);
                    for (int round = 0; round < o.TopKGroups; round++)
                    {
                        int bestG = -1;
                        for (int g = 0; g < groups; g++)
                        {
                            if (!keptGroup[g] && (bestG < 0 || gs[g] > gs[bestG]))
                            {
                                bestG = g;
                            }
                        }

                        keptGroup[bestG] = true;
                    }

                    // Each kept group holds its best and second keys, so at least 2·kept keys are ≥ the least of
                    // them: when that is k or more, no key below it can be among the k best, and the scan below
                    // skips it at once (a well-predicted branch) instead of comparing it with the k-th kept key.
                    if (2 * o.TopKGroups >= k)
                    {
                        floor = float.PositiveInfinity;
                        for (int g = 0; g < groups; g++)
                        {
                            if (keptGroup[g])
                            {
                                floor = Math.Min(floor, seconds[g]);
                            }
                        }
                    }
                }
                else
                {
                    keptGroup[0] = true;
                }

                float* w = (float*)weights + (t * k);
                int* id = (int*)ids + (t * k);

                // One pass over the experts of the kept groups in id order, keeping the k best sorted by (key
                // descending, id ascending): a newcomer goes after every kept key it does not strictly beat, so ties
                // go to the lower id, the order k rounds of "strict > while scanning upwards" give. Most experts fail
                // the comparison with the k-th kept key and cost one compare.
                int kept = 0;
                float cut = float.NegativeInfinity; // the k-th kept key, once k are kept
                for (int g = 0; g < groups; g++)
                {
                    if (!keptGroup[g])
                    {
                        continue;
                    }

                    for (int e = g * size, end = e + size; e < end; e++)
                    {
                        float v = key[e];
                        if (v < floor || (kept == k && !(v > cut)))
                        {
                            continue;
                        }

                        int at = kept < k ? kept++ : k - 1;
                        while (at > 0 && v > key[id[at - 1]])
                        {
                            id[at] = id[at - 1];
                            at--;
                        }

                        id[at] = e;
                        if (kept == k)
                        {
                            cut = key[id[k - 1]];
                        }
                    }
                }

                float wsum = 0;
                for (int j = 0; j < k; j++)
                {
                    w[j] = s[id[j]];
                    wsum += w[j];
                }

                for (int j = 0; j < k; j++)
                {
                    w[j] = (o.EffectiveRenormalize ? w[j] / wsum : w[j]) * o.RoutedScale;
                }
            }
        });
    }

    /// <summary>Counting sort of the choices by expert (stable in token order), then a parallel row gather.</summary>
    public static void Permute(PermuteArgs a, nint tokens, nint ids, nint permuted, nint rowSource, nint slotOf, nint offsets)
    {
        int t = a.T, k = a.K, h = a.H, experts = a.Experts;
        int* idp = (int*)ids, off = (int*)offsets, slot = (int*)slotOf, src = (int*)rowSource;
        var next = new int[experts];
        for (int i = 0; i < t * k; i++)
        {
            int e = idp[i];
            if ((uint)e < (uint)experts)
            {
                next[e]++;
            }
        }

        off[0] = 0;
        for (int e = 0; e < experts; e++)
        {
            off[e + 1] = off[e] + next[e];
            next[e] = off[e];
        }

        new Span<int>(src, t * k).Fill(-1);
        for (int i = 0; i < t * k; i++)
        {
            int e = idp[i];
            if ((uint)e < (uint)experts)
            {
                int p = next[e]++;
                slot[i] = p;
                src[p] = i / k;
            }
            else
            {
                slot[i] = -1;
            }
        }

        int esize = a.Tokens.DType.SizeInBytes();
        long rowBytes = (long)h * esize;
        CpuParallel.For(t * k, Math.Max(1, 65536 / Math.Max(rowBytes, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                byte* dst = (byte*)permuted + (p * rowBytes);
                int from = src[p];
                if (from < 0)
                {
                    ClearBytes(dst, rowBytes);
                }
                else
                {
                    Buffer.MemoryCopy((byte*)tokens + (from * rowBytes), dst, rowBytes, rowBytes);
                }
            }
        });
    }

    /// <summary>out[t] = Σ_j w[t,j]·expertOut[slotOf[t,j]], in j order, F32.</summary>
    public static void Unpermute(UnpermuteArgs a, nint expertOut, nint slotOf, nint weights, nint output)
    {
        int h = a.H, k = a.K, rows = a.Rows;
        DType dt = a.ExpertOutput.DType;

        // A large F32 output sharing no element with the expert outputs goes out with non-temporal stores (no read
        // for ownership of its lines).
        bool stream = dt == DType.F32 && CpuRowOps.StreamsOutput(a.Output, a.ExpertOutput);
        // Chunks of at least four tokens when that still leaves two per core (CpuParallel.For makes them larger for
        // many tokens anyway), so most tokens have a next one in their chunk, whose rows the weighted sum fetches.
        int grain = Math.Max(Math.Clamp(a.T / (2 * CpuParallel.Workers), 1, 4), 16384 / Math.Max(h * k, 1));
        CpuParallel.For(a.T, grain, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (t0, t1) =>
        {
            Span<float> acc = CpuConvert.Scratch(0, h);
            Span<float> row = CpuConvert.Scratch(1, h);
            float* zeros = null;
            const int MaxFused = 64; // choices per token summed in registers; more take the row-by-row path
            float** rowsOf = stackalloc float*[MaxFused];
            float* ws = stackalloc float[MaxFused];
            float** next = stackalloc float*[CpuFused.WeightedRows];
            for (long t = t0; t < t1; t++)
            {
                if (dt == DType.F32 && k <= MaxFused)
                {
                    // One pass: each output vector sums its k expert rows in registers, in choice order.
                    for (int j = 0; j < k; j++)
                    {
                        int s = ((int*)slotOf)[(t * k) + j];
                        rowsOf[j] = (uint)s < (uint)rows ? (float*)expertOut + ((long)s * h) : null;
                        ws[j] = ((float*)weights)[(t * k) + j];
                    }

                    if (zeros == null)
                    {
                        // The weighted sum pads fewer than eight live rows with a zero row at weight 0.
                        zeros = CpuConvert.ScratchPointer(2, h);
                        new Span<float>(zeros, h).Clear();
                    }

                    // The next token's live rows (when it is in this chunk, as few as one chain takes, and the core
                    // gains by it: CpuFused.FetchesNextToken), fetched into L1 while this token's are summed.
                    int nextCount = 0;
                    if (t + 1 < t1 && k <= CpuFused.WeightedRows && CpuFused.FetchesNextToken(k))
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int s = ((int*)slotOf)[((t + 1) * k) + j];
                            if ((uint)s < (uint)rows)
                            {
                                next[nextCount++] = (float*)expertOut + ((long)s * h);
                            }
                        }
                    }

                    CpuFused.WeightedSum(rowsOf, ws, k, (float*)output + (t * h), h, stream, zeros, next, nextCount);
                    continue;
                }

                acc.Clear();
                for (int j = 0; j < k; j++)
                {
                    int s = ((int*)slotOf)[(t * k) + j];
                    if ((uint)s >= (uint)rows)
                    {
                        continue;
                    }

                    float w = ((float*)weights)[(t * k) + j];
                    ReadOnlySpan<float> r = dt == DType.F32 ? new ReadOnlySpan<float>((float*)expertOut + ((long)s * h), h) : row;
                    if (dt != DType.F32)
                    {
                        CpuConvert.ToFloat(dt, expertOut, (long)s * h, row);
                    }

                    TensorPrimitives.MultiplyAdd(r, w, acc, acc);
                }

                CpuConvert.FromFloat(dt, acc, output, t * h);
            }

            if (stream)
            {
                CpuFused.FenceStreams();
            }
        });
    }

    /// <summary>One GEMM per non-empty group on the clamped offsets; rows outside every group are zeroed.</summary>
    public static void GroupedGemm(GroupedGemmArgs a, nint aPtr, nint w, nint offsets, nint c)
    {
        int rows = a.Rows, n = a.N, k = a.K;
        int[] eff = OpContracts.EffectiveOffsets(new ReadOnlySpan<int>((int*)offsets, a.Experts + 1), rows);
        DType inT = a.A.DType, cT = a.C.DType;
        int inSize = inT.SizeInBytes(), cSize = cT.SizeInBytes();
        long lda = a.LdA, ldc = a.LdC;
        ClearRows(c, 0, eff[0], n, ldc, cSize);
        ClearRows(c, eff[a.Experts], rows, n, ldc, cSize);
        GemmProblem Expert(int e) => new(
            aPtr + (nint)(eff[e] * lda * inSize),
            w + (nint)((long)e * n * k * inSize),
            c + (nint)(eff[e] * ldc * cSize),
            eff[e + 1] - eff[e], n, k, false, a.TransB, inT, cT, 1f, 0f, lda, a.TransB ? k : n, ldc);

        int[] busy = [.. Enumerable.Range(0, a.Experts).Where(e => eff[e + 1] > eff[e]).OrderByDescending(e => eff[e + 1] - eff[e])];
        int workers = CpuParallel.Workers;
        if (workers > 1 && busy.Length >= 2 * workers && (eff[a.Experts] - eff[0]) / busy.Length > 16)
        {
            // Many experts with prefill-sized groups (over 16 rows on average): one expert per core at a time, each GEMM on its own core (no
            // barriers between its K slabs, no thin row blocks split over cores), largest groups first.
            CpuParallel.Each(busy.Length, i =>
            {
                CpuParallel.Serial = true;
                try
                {
                    CpuGemm.Run(Expert(busy[i]));
                }
                finally
                {
                    CpuParallel.Serial = false;
                }
            });
            return;
        }

        // Few experts, or decode-sized groups (whose path streams the weights with every core): one after another.
        foreach (int e in busy)
        {
            CpuGemm.Run(Expert(e));
        }
    }

    /// <summary>Sets rows [r0, r1) of c (rows ldc elements apart, n used) to 0, in 64-bit byte arithmetic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ClearRows(nint c, long r0, long r1, long n, long ldc, int cSize)
    {
        if (r1 <= r0 || n == 0)
        {
            return;
        }

        if (ldc == n)
        {
            ClearBytes((byte*)c + (r0 * n * cSize), (r1 - r0) * n * cSize);
            return;
        }

        for (long r = r0; r < r1; r++)
        {
            ClearBytes((byte*)c + (r * ldc * cSize), n * cSize);
        }
    }

    private static void ClearBytes(byte* p, long bytes)
    {
        for (long done = 0; done < bytes;)
        {
            int chunk = (int)Math.Min(bytes - done, 1 << 30);
            new Span<byte>(p + done, chunk).Clear();
            done += chunk;
        }
    }
}
