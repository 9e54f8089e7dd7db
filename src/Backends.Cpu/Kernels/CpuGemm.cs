using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;

namespace Backends.Cpu;

/// <summary>
/// Packed SIMD GEMM in the GotoBLAS shape: B is packed once per (NC×KC) block into NR-wide panels shared by all
/// threads, each thread packs MC×KC blocks of A into MR-high panels and runs an MR×NR register-blocked micro-kernel
/// (MR = 6 rows × 2 vectors) that accumulates into an F32 C. F16/BF16 inputs are widened while packing, so one
/// kernel serves every dtype and transpose. Decode-sized problems (M ≤ 16) take a path that streams B once instead (CpuGemm.Skinny).
/// </summary>
internal static unsafe partial class CpuGemm
{
    private const int MR = 6;
    private const int KC = 384;
    private const int MC = 96;
    private const int NC = 2048;

    /// <summary>Up to this many rows, streaming B once (8×3 dot micro-kernel, or axpy per row) beats packing it: decode-sized GEMMs.</summary>
    private const int SkinnyRows = 16;

    /// <summary>The skinny path widens all of A (M·K floats) up front: only while that stays small.</summary>
    private const long SkinnyMaxA = 1 << 26;

    /// <summary>
    /// Most F32 accumulator elements held at once for an F16/BF16 C (128 MiB): a larger C (a vocabulary-sized logits
    /// GEMM has M·N beyond 2³¹) runs in row blocks, each with its own accumulator.
    /// </summary>
    internal const long MaxAccumulatorElements = 1 << 25;

    /// <summary>Runs the problems (e.g. the batches of one call) one after another, each using every core.</summary>
    public static void Run(ReadOnlySpan<GemmProblem> problems)
    {
        foreach (GemmProblem p in problems)
        {
            Run(p);
        }
    }

    /// <summary>Runs one problem using every core.</summary>
    public static void Run(in GemmProblem p)
    {
        if (p.M == 0 || p.N == 0)
        {
            return;
        }

        if (p.M <= SkinnyRows && (long)p.M * p.K <= SkinnyMaxA)
        {
            Skinny(p);
            return;
        }

        if (p.CType != DType.F32 && (long)p.M * p.N > MaxAccumulatorElements && p.M > 1)
        {
            int rows = (int)Math.Clamp(MaxAccumulatorElements / p.N / MC * MC, 1, p.M);
            for (int r0 = 0; r0 < p.M; r0 += rows)
            {
                Run(p.Rows(r0, Math.Min(rows, p.M - r0)));
            }

            return;
        }

        if (Vector512.IsHardwareAccelerated)
        {
            Blocked<Vec512, Vector512<float>>(p);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Blocked<Vec256, Vector256<float>>(p);
        }
        else
        {
            Blocked<Vec128, Vector128<float>>(p);
        }
    }

    private static void Blocked<TOps, TVec>(GemmProblem p)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int m = p.M, n = p.N;

        // C accumulates in F32: in place when C is F32, else in a temporary (at most MaxAccumulatorElements, see Run)
        // converted at the end. Sizes in 64-bit: m·n may pass 2³¹ for an F32 C.
        float* cTemp = p.CType == DType.F32 ? null : (float*)NativeMemory.AlignedAlloc((nuint)((long)m * n * sizeof(float)), 64);
        float* cf = cTemp is null ? (float*)p.C : cTemp;
        int ldcf = cTemp is null ? checked((int)p.LdC) : n;
        try
        {
            BlockedInto<TOps, TVec>(p, cf, ldcf, cTemp is not null);
        }
        finally
        {
            if (cTemp is not null)
            {
                NativeMemory.AlignedFree(cTemp);
            }
        }
    }

    private static void BlockedInto<TOps, TVec>(GemmProblem p, float* cf, int ldcf, bool convert)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int nr = 2 * TOps.Count;
        int m = p.M, n = p.N, k = p.K;
        // beta = 0: the first K slab overwrites C, so C is neither cleared first nor read (K = 0 still clears it).
        bool overwriteFirst = p.Beta == 0 && k > 0;
        if (!overwriteFirst)
        {
            InitC(p, cf, ldcf);
        }

        int ncMax = Math.Min(NC, RoundUp(n, nr));
        float[] bPackArray = PackBuffer(KC * ncMax);
        float* bPack = (float*)Unsafe.AsPointer(ref bPackArray[0]);
        int workers = CpuParallel.Workers;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                PackB(p, pc, kc, jc, nc, nr, bPack);
                // Row blocks of equal height (a multiple of MR, at most MC), so no worker gets a thin leftover block.
                int mBlocks = (m + MC - 1) / MC;
                int mcBlock = Math.Min(MC, RoundUp((m + mBlocks - 1) / mBlocks, MR));
                mBlocks = (m + mcBlock - 1) / mcBlock;

                // Enough tasks to keep every core busy: split the NR panels when there are few row blocks.
                int jSplit = Math.Clamp((2 * workers) / mBlocks, 1, panels);
                int panelsPerTask = (panels + jSplit - 1) / jSplit;
                int tasks = mBlocks * jSplit;
                int pcLocal = pc, jcLocal = jc, kcLocal = kc;
                void Task(int t)
                {
                    int ib = t / jSplit, js = t % jSplit;
                    int i0 = ib * mcBlock, mc = Math.Min(mcBlock, m - i0);
                    int jp0 = js * panelsPerTask, jp1 = Math.Min(panels, jp0 + panelsPerTask);
                    if (jp0 >= jp1)
                    {
                        return;
                    }

                    float* aPack = CpuConvert.ScratchPointer(0, RoundUp(MC, MR) * KC);
                    PackA(p, i0, mc, pcLocal, kcLocal, aPack);
                    for (int jp = jp0; jp < jp1; jp++)
                    {
                        int j = jcLocal + (jp * nr);
                        int nCols = Math.Min(nr, n - j);
                        float* bp = bPack + (jp * nr * kcLocal);
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mRows = Math.Min(MR, mc - ir);
                            float* cTile = cf + ((long)(i0 + ir) * ldcf) + j;
                            Micro<TOps, TVec>(kcLocal, aPack + (ir * kcLocal), bp, cTile, ldcf, p.Alpha, mRows, nCols, overwriteFirst && pcLocal == 0);
                        }
                    }
                }

                if (workers == 1)
                {
                    for (int t = 0; t < tasks; t++)
                    {
                        Task(t);
                    }
                }
                else
                {
                    Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = workers }, Task);
                }
            }
        }

        if (convert)
        {
            CpuParallel.For(m, Math.Max(1, 65536 / Math.Max(n, 1)), (r0, r1) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    CpuConvert.FromFloat(p.CType, new ReadOnlySpan<float>(cf + (r * n), n), p.C, r * p.LdC);
                }
            });
        }

        GC.KeepAlive(bPackArray);
    }

    [ThreadStatic]
    private static float[]? t_bPack;

    /// <summary>The calling thread's pinned B-pack buffer, grown on demand and kept (an allocation per call cost more than a 512³ GEMM's packing).</summary>
    private static float[] PackBuffer(int floats)
    {
        float[]? b = t_bPack;
        if (b is null || b.Length < floats)
        {
            b = GC.AllocateUninitializedArray<float>(floats, pinned: true);
            t_bPack = b;
        }

        return b;
    }

    /// <summary>cf = beta·C, or 0 when beta = 0 (C is then not read, so NaN in it cannot leak); cf's rows are ldcf apart.</summary>
    private static void InitC(GemmProblem p, float* cf, int ldcf)
    {
        int n = p.N;
        CpuParallel.For(p.M, Math.Max(1, 65536 / Math.Max(n, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                Span<float> row = new(cf + (r * ldcf), n);
                if (p.Beta == 0)
                {
                    row.Clear();
                }
                else
                {
                    CpuConvert.ToFloat(p.CType, p.C, r * p.LdC, row);
                    TensorPrimitives.Multiply(row, p.Beta, row);
                }
            }
        });
    }

    /// <summary>B[pc..pc+kc, jc..jc+nc] into NR-wide panels, zero-padded: bPack[panel][k][NR].</summary>
    private static void PackB(GemmProblem p, int pc, int kc, int jc, int nc, int nr, float* bPack)
    {
        int panels = (nc + nr - 1) / nr;
        CpuParallel.For(panels, Math.Max(1, 16384 / (kc * nr)), (q0, q1) =>
        {
            for (long q = q0; q < q1; q++)
            {
                float* dst = bPack + (q * nr * kc);
                int j0 = jc + (int)(q * nr);
                int cols = Math.Min(nr, jc + nc - j0);
                if (p.InType == DType.F32 && !p.TransB)
                {
                    float* src = (float*)p.B + ((long)pc * p.LdB) + j0;
                    for (int kk = 0; kk < kc; kk++)
                    {
                        new ReadOnlySpan<float>(src + ((long)kk * p.LdB), cols).CopyTo(new Span<float>(dst + (kk * nr), cols));
                        if (cols < nr)
                        {
                            new Span<float>(dst + (kk * nr) + cols, nr - cols).Clear();
                        }
                    }
                }
                else if (p.InType == DType.F32 && System.Runtime.Intrinsics.X86.Avx.IsSupported)
                {
                    // B [N,K] (a Linear weight): the panel is a transpose of `cols` rows × kc, done 8×8 at a time in
                    // registers; the ragged edges (and the zero padding past the last column) element by element.
                    float* src0 = (float*)p.B + ((long)j0 * p.LdB) + pc;
                    int c8 = cols & ~7, k8 = kc & ~7;
                    for (int c = 0; c < c8; c += 8)
                    {
                        for (int kk = 0; kk < k8; kk += 8)
                        {
                            Transpose8x8(src0 + ((long)c * p.LdB) + kk, p.LdB, dst + (kk * nr) + c, nr);
                        }
                    }

                    for (int c = 0; c < nr; c++)
                    {
                        float* src = src0 + ((long)c * p.LdB);
                        for (int kk = c < c8 ? k8 : 0; kk < kc; kk++)
                        {
                            dst[(kk * nr) + c] = c < cols ? src[kk] : 0;
                        }
                    }
                }
                else if (p.InType == DType.F32)
                {
                    for (int c = 0; c < nr; c++)
                    {
                        if (c < cols)
                        {
                            float* src = (float*)p.B + ((long)(j0 + c) * p.LdB) + pc;
                            for (int kk = 0; kk < kc; kk++)
                            {
                                dst[(kk * nr) + c] = src[kk];
                            }
                        }
                        else
                        {
                            for (int kk = 0; kk < kc; kk++)
                            {
                                dst[(kk * nr) + c] = 0;
                            }
                        }
                    }
                }
                else
                {
                    for (int kk = 0; kk < kc; kk++)
                    {
                        for (int c = 0; c < nr; c++)
                        {
                            dst[(kk * nr) + c] = c < cols ? p.LoadB(pc + kk, j0 + c) : 0;
                        }
                    }
                }
            }
        });
    }

    /// <summary>A[i0..i0+mc, pc..pc+kc] into MR-high panels, zero-padded: aPack[panel][k][MR].</summary>
    private static void PackA(GemmProblem p, int i0, int mc, int pc, int kc, float* aPack)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            float* dst = aPack + (ir * kc);
            int rows = Math.Min(MR, mc - ir);
            if (p.InType == DType.F32 && !p.TransA)
            {
                for (int r = 0; r < MR; r++)
                {
                    if (r < rows)
                    {
                        float* src = (float*)p.A + ((long)(i0 + ir + r) * p.LdA) + pc;
                        for (int kk = 0; kk < kc; kk++)
                        {
                            dst[(kk * MR) + r] = src[kk];
                        }
                    }
                    else
                    {
                        for (int kk = 0; kk < kc; kk++)
                        {
                            dst[(kk * MR) + r] = 0;
                        }
                    }
                }
            }
            else if (p.InType == DType.F32)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = (float*)p.A + ((long)(pc + kk) * p.LdA) + i0 + ir;
                    for (int r = 0; r < MR; r++)
                    {
                        dst[(kk * MR) + r] = r < rows ? src[r] : 0;
                    }
                }
            }
            else
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    for (int r = 0; r < MR; r++)
                    {
                        dst[(kk * MR) + r] = r < rows ? p.LoadA(i0 + ir + r, pc + kk) : 0;
                    }
                }
            }
        }
    }

    /// <summary>dst[i·ldd + j] = src[j·lds + i] for an 8×8 block (AVX: unpack, shuffle, 128-bit lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long lds, float* dst, long ldd)
    {
        Vector256<float> r0 = Vector256.Load(src), r1 = Vector256.Load(src + lds), r2 = Vector256.Load(src + (2 * lds)), r3 = Vector256.Load(src + (3 * lds));
        Vector256<float> r4 = Vector256.Load(src + (4 * lds)), r5 = Vector256.Load(src + (5 * lds)), r6 = Vector256.Load(src + (6 * lds)), r7 = Vector256.Load(src + (7 * lds));
        Vector256<float> t0 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r0, r1), t1 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r2, r3), t3 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r4, r5), t5 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r6, r7), t7 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t0, t2, 0x44), u1 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t1, t3, 0x44), u3 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t4, t6, 0x44), u5 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t5, t7, 0x44), u7 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t5, t7, 0xEE);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u1, u5, 0x20).Store(dst + ldd);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u2, u6, 0x20).Store(dst + (2 * ldd));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u3, u7, 0x20).Store(dst + (3 * ldd));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u0, u4, 0x31).Store(dst + (4 * ldd));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u1, u5, 0x31).Store(dst + (5 * ldd));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u2, u6, 0x31).Store(dst + (6 * ldd));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(u3, u7, 0x31).Store(dst + (7 * ldd));
    }

    private static int RoundUp(int v, int m) => (v + m - 1) / m * m;
}
