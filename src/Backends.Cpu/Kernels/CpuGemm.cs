using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace Backends.Cpu;

/// <summary>
/// Packed SIMD GEMM in the GotoBLAS shape: the workers split C in a grid and each packs its own B (per NC×KC block,
/// NR-wide panels) and A (per MC×KC block, MR-high panels; an F32 row-major A whose rows fall in different L1 sets is
/// read in place instead), then runs an MR×NR register-blocked micro-kernel (8 rows × 3 vectors with 512-bit
/// vectors, 6 × 2 otherwise) that accumulates into an F32 C. F16/BF16 inputs are widened
/// while packing, so one kernel serves every dtype and transpose; BF16 on CPUs with AVX512-BF16 is packed as pairs of k
/// for VDPBF16PS kernels instead (CpuGemm.Bf16, <see cref="CpuBf16Dot"/>). Decode-sized problems (M ≤ 16) stream B once
/// instead (CpuGemm.Skinny, CpuGemm.DecodeBroadcast, CpuGemm.Bf16's DecodeDot), and 17..384 rows with B [N,K] on
/// AVX-512 skip packing B (CpuGemm.Broadcast).
/// </summary>
internal static unsafe partial class CpuGemm
{
    /// <summary>A-panel height (micro-kernel rows) for a vector width: 8 with 512-bit vectors (8 × 3 vectors: 24 of the 32 registers), else 6 (6 × 2 of 16).</summary>
    private static int MrFor(int vectorFloats) => vectorFloats == 16 ? 8 : 6;

    /// <summary>B-panel width (micro-kernel columns) for a vector width: three vectors with 512-bit vectors, else two.</summary>
    private static int NrFor(int vectorFloats) => vectorFloats == 16 ? 3 * vectorFloats : 2 * vectorFloats;

    /// <summary>Columns of B packed at once for a panel width: <see cref="NC"/> rounded down to whole panels.</summary>
    private static int NcFor(int nr) => Math.Max(nr, NC / nr * nr);

    /// <summary>Rows of A packed at once (a multiple of both micro-kernel heights, 8 and 6).</summary>
    private const int MC = 96;

    /// <summary>
    /// K depth of a slab, from the L2 size: the MC×KC block of A plus 64 columns of B fill at most half of L2 — 768
    /// with a 1 MiB L2, 1024 with 1.25 MiB — within [128, 1024], a multiple of 64. (Measured on a 1 MiB-L2 AMD EPYC:
    /// 768 and 1024 ran 5–8% faster than 256 and 384, whose C-tile updates come more often; with the 8 × 48 kernel on
    /// the 1.25 MiB-L2 Xeon, 4096³ on one core: KC 1024 and 768 level, 512 4% slower.)
    /// </summary>
    internal static readonly int KC = (int)Math.Clamp(CpuCaches.L2 / 2 / (sizeof(float) * (MC + 64)) / 64 * 64, 128, 1024);

    /// <summary>
    /// Columns of B packed at once, from the L3 share of a core: the KC×NC block within half of it, within [256, 1024]
    /// (so a worker's pack buffer stays ≤ 4 MiB).
    /// </summary>
    internal static readonly int NC = (int)Math.Clamp(CpuCaches.L3PerCore / 2 / (sizeof(float) * KC) / 64 * 64, 256, 1024);

    /// <summary>The blocking in use, for device facts: e.g. "MC 96, KC 768, NC 1008, micro-kernel 8×48" (NC in whole panels).</summary>
    internal static string Blocking => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"MC {MC}, KC {KC}, NC {NcFor(NrFor(VectorFloats))}, micro-kernel {MrFor(VectorFloats)}×{NrFor(VectorFloats)} (F32)");

    /// <summary>Floats per vector of the width the GEMM runs on here.</summary>
    private static int VectorFloats => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

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
    public static void Run(in GemmProblem p) => Run(p, CpuBf16Dot.Enabled);

    /// <summary>
    /// Runs one problem using every core; <paramref name="bf16Dot"/> lets BF16 inputs on the blocked path use the
    /// AVX512-BF16 kernel where it is loaded (<see cref="CpuBf16Dot"/>; tests compare both paths through it).
    /// </summary>
    internal static void Run(in GemmProblem p, bool bf16Dot)
    {
        if (p.M == 0 || p.N == 0)
        {
            return;
        }

        if (p.M <= SkinnyRows && (long)p.M * p.K <= SkinnyMaxA)
        {
            if (UsesBf16DotDecode(p, bf16Dot))
            {
                DecodeDot(p);
                return;
            }

            Skinny(p);
            return;
        }

        // BF16 on the VDPBF16PS kernel: packed B pairs beat the unpacked-B path's widening in registers from 17 rows
        // (see CpuGemm.Bf16).
        if (UseBroadcastGemm(p) && !UsesBf16Dot(p, NrFor(VectorFloats), bf16Dot))
        {
            BroadcastGemm(p);
            return;
        }

        if (p.CType != DType.F32 && (long)p.M * p.N > MaxAccumulatorElements && p.M > 1)
        {
            int rows = (int)Math.Clamp(MaxAccumulatorElements / p.N / MC * MC, 1, p.M);
            for (int r0 = 0; r0 < p.M; r0 += rows)
            {
                Run(p.Rows(r0, Math.Min(rows, p.M - r0)), bf16Dot);
            }

            return;
        }

        if (Vector512.IsHardwareAccelerated)
        {
            Blocked<Vec512, Vector512<float>>(p, bf16Dot);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Blocked<Vec256, Vector256<float>>(p, false);
        }
        else
        {
            Blocked<Vec128, Vector128<float>>(p, false);
        }
    }

    private static void Blocked<TOps, TVec>(GemmProblem p, bool bf16Dot)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int m = p.M, n = p.N;

        // C accumulates in F32: in place when C is F32, else in a temporary (at most MaxAccumulatorElements, see Run)
        // converted at the end. Sizes in 64-bit: m·n may pass 2³¹ for an F32 C.
        long elements = (long)m * n;
        float* cTemp = p.CType == DType.F32 ? null : TakeAccumulator(elements, out elements);
        float* cf = cTemp is null ? (float*)p.C : cTemp;
        int ldcf = cTemp is null ? checked((int)p.LdC) : n;
        try
        {
            BlockedInto<TOps, TVec>(p, cf, ldcf, cTemp is not null, bf16Dot);
        }
        finally
        {
            if (cTemp is not null)
            {
                ReturnAccumulator(cTemp, elements);
            }
        }
    }

    /// <summary>The F32 accumulator kept between calls (one for the process: the largest returned), and its size in floats.</summary>
    private static nint s_accumulator;
    private static long s_accumulatorElements;
    private static readonly Lock s_accumulatorLock = new();

    /// <summary>
    /// An F32 accumulator of at least <paramref name="elements"/> floats (64-byte aligned): the kept one when it is
    /// free and large enough, else a new one. Why keep one: a fresh allocation per call is fresh pages, and on the VMs
    /// here each first touch is a page fault through the hypervisor; a one-processor BF16 1024³ GEMM with a BF16 C
    /// (a 4 MiB accumulator) took 17.5 ms in most processes against 6 ms with an F32 C.
    /// </summary>
    private static float* TakeAccumulator(long elements, out long size)
    {
        lock (s_accumulatorLock)
        {
            if (s_accumulator != 0 && s_accumulatorElements >= elements)
            {
                float* kept = (float*)s_accumulator;
                size = s_accumulatorElements;
                s_accumulator = 0;
                s_accumulatorElements = 0;
                return kept;
            }
        }

        size = elements;
        return (float*)NativeMemory.AlignedAlloc((nuint)(elements * sizeof(float)), 64);
    }

    /// <summary>Keeps the larger of <paramref name="buffer"/> and the kept accumulator, and frees the other.</summary>
    private static void ReturnAccumulator(float* buffer, long size)
    {
        nint free = (nint)buffer;
        lock (s_accumulatorLock)
        {
            if (size > s_accumulatorElements)
            {
                (free, s_accumulator) = (s_accumulator, (nint)buffer);
                s_accumulatorElements = size;
            }
        }

        if (free != 0)
        {
            NativeMemory.AlignedFree((void*)free);
        }
    }

    private static void BlockedInto<TOps, TVec>(GemmProblem p, float* cf, int ldcf, bool convert, bool bf16Dot)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int nr = NrFor(TOps.Count), mr = MrFor(TOps.Count);
        int m = p.M, n = p.N, k = p.K;
        bool dot = UsesBf16Dot(p, nr, bf16Dot);
        // beta = 0: the first K slab overwrites C, so C is neither cleared first nor read (K = 0 still clears it).
        bool overwriteFirst = p.Beta == 0 && k > 0;
        if (!overwriteFirst)
        {
            InitC(p, cf, ldcf);
        }

        // One parallel region per call: the workers split C in a wm × wn grid (units of mr rows and nr columns) and
        // each packs its own A rows and B columns into its own buffers, so no worker waits on another between K slabs
        // and every packed panel stays in the cache of the core that uses it. The grid is the one with the least work
        // on its busiest worker (FMAs plus the packing it repeats). The threads claim parts from one counter and, when
        // none is left, take row blocks of the stages still running (StealRowBlocks), so a worker slowed down (another
        // process on its core, a helper's late wake-up) does not hold up the call. Timing each part had shown the two
        // parts' busy times differing by −6 to +12% per call either way on the 2-core Xeon VM, the helper starting
        // 0.2–1 ms late. Measured there, alternating processes against the static split (two cores): 1024³ 179 → 235,
        // 198 → 192, 178 → 218 GFLOP/s; 2048³ 185 → 232, 265 → 273, 271 → 270; 512×2048×7168 263 → 272, 242 → 275,
        // 230 → 260; 4096³ 294 → 294, 265 → 288; with a busy loop in a third process 2048³ 154 → 173 and 1024³ 129 →
        // 128. C is bit for bit the same (a tile's K slabs stay in order: a stage ends only when all its row blocks are done).
        //
        // Packing costs per element: none for an F32 A read in place (see RowBlock), half a cycle for the other
        // packed A and for a plain copy of B [K,N], two cycles for B transposed from [N,K] or widened from F16/BF16.
        // Weighted so, two workers split the columns of the square and MoE shapes instead of the rows: forced one way
        // and the other on the Ice Lake Xeon (A/B in one process, two cores), 1024³ 256.5 → 289.6 GFLOP/s, 1000³ 266.3
        // → 290.7, 512×2048×7168 264.7 → 275.2, 4096³ 309.2 → 314.8; this estimate against the former one (both
        // weights 0.5, blocks of NC): 1024³ 234.6 → 280.1, 512×2048×7168 262.9 → 273.6, the rest within 4%.
        double aCost = ReadsAInPlace(p, mr) ? 0 : 0.5;
        double bCost = p.InType == DType.F32 && !p.TransB ? 0.5 : dot ? 1 : 2;
        (int wm, int wn) = Grid(CpuParallel.Workers, m, n, k, mr, nr, aCost, bCost);
        int rowUnits = (m + mr - 1) / mr, colUnits = (n + nr - 1) / nr;
        // Each part's stages are open to the other workers once they have finished their own (see StealRowBlocks).
        GemmStage[]? stages = wm * wn > 1 ? new GemmStage[wm * wn] : null;
        for (int i = 0; stages is not null && i < stages.Length; i++)
        {
            stages[i] = new GemmStage(i);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Part(int t)
        {
            int im = t / wn, jn = t % wn;
            int i0 = Math.Min(m, (int)((long)rowUnits * im / wm) * mr), i1 = Math.Min(m, (int)((long)rowUnits * (im + 1) / wm) * mr);
            int j0 = Math.Min(n, (int)((long)colUnits * jn / wn) * nr), j1 = Math.Min(n, (int)((long)colUnits * (jn + 1) / wn) * nr);
            GemmStage? stage = stages?[t];
            try
            {
                if (i0 < i1 && j0 < j1)
                {
                    BlockedPart<TOps, TVec>(p, cf, ldcf, overwriteFirst, dot, i0, i1, j0, j1, stage);
                }
            }
            finally
            {
                stage?.Finish();
            }
        }

        if (stages is null)
        {
            Part(0);
        }
        else
        {
            // Every thread of the region claims parts from one counter until none is left, then takes row blocks of the
            // parts still running: a thread that arrives late (a helper's wake-up) helps the others instead of starting
            // a whole part of its own after they are done, and one that finishes first helps the rest.
            int nextPart = 0;
            CpuParallel.Each(stages.Length, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_) =>
            {
                bool wasSerial = CpuParallel.Serial;
                CpuParallel.Serial = true;
                try
                {
                    for (int t = Interlocked.Increment(ref nextPart) - 1; t < stages.Length; t = Interlocked.Increment(ref nextPart) - 1)
                    {
                        Part(t);
                    }

                    StealRowBlocks<TOps, TVec>(p, cf, ldcf, stages);
                }
                finally
                {
                    CpuParallel.Serial = wasSerial;
                }
            });
        }

        if (convert)
        {
            CpuParallel.For(m, Math.Max(1, 65536 / Math.Max(n, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    CpuConvert.FromFloat(p.CType, new ReadOnlySpan<float>(cf + (r * n), n), p.C, r * p.LdC);
                }
            });
        }

    }

    /// <summary>
    /// C[i0..i1, j0..j1] on the calling thread, GotoBLAS loop order: per NC column block and K slab, B packed into
    /// NR-wide panels (its own buffer), then per MC row block A packed into MR-high panels and the micro-kernel over
    /// every (B panel, A panel) pair, the B panel staying in L2 across the A panels (its lines fetched into L1 ahead of
    /// the kernel's reads, see BPanelPrefetch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockedPart<TOps, TVec>(GemmProblem p, float* cf, int ldcf, bool overwriteFirst, bool dot, int i0, int i1, int j0, int j1, GemmStage? stage = null)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int nr = NrFor(TOps.Count), mr = MrFor(TOps.Count), nc0 = NcFor(nr);
        int k = p.K;
        float[] bPackArray = PackBuffer(KC * Math.Min(nc0, RoundUp(j1 - j0, nr)));
        float* bPack = (float*)Unsafe.AsPointer(ref CpuConvert.Aligned64(bPackArray));

        // K in slabs of equal depth (at most KC, a multiple of 8) and rows in blocks of equal height (at most MC, a
        // multiple of mr), so no slab or block is a thin leftover. BF16 pairs take half the bytes per k, so the same
        // panels in the same caches hold twice the depth (and C is read and written half as often).
        int kc0 = dot ? 2 * KC : KC;
        int slabs = (k + kc0 - 1) / kc0;
        int kStep = Math.Min(kc0, RoundUp((k + slabs - 1) / Math.Max(slabs, 1), 8));
        int rowBlocks = (i1 - i0 + MC - 1) / MC;
        int mcStep = Math.Min(MC, RoundUp((i1 - i0 + rowBlocks - 1) / rowBlocks, mr));
        int blocks = (i1 - i0 + mcStep - 1) / mcStep;
        for (int jc = j0; jc < j1; jc += nc0)
        {
            int nc = Math.Min(nc0, j1 - jc);
            for (int pc = 0; pc < k; pc += kStep)
            {
                int kc = Math.Min(kStep, k - pc);
                bool overwrite = overwriteFirst && pc == 0;
                if (dot)
                {
                    PackBPairs(p, pc, kc, jc, nc, (uint*)bPack);
                }
                else
                {
                    PackB(p, pc, kc, jc, nc, nr, bPack);
                }

                var block = new GemmBlock(bPack, jc, nc, j1, pc, kc, overwrite, i0, i1, mcStep, dot);
                if (stage is null)
                {
                    for (int b = 0; b < blocks; b++)
                    {
                        RowBlock<TOps, TVec>(p, cf, ldcf, block, b);
                    }

                    continue;
                }

                // Row blocks claimed one at a time, by this worker and by any worker that has finished its own part
                // (StealRowBlocks): the stage waits for every claimed block before B is repacked.
                stage.Publish(block, blocks);
                StageOpened?.Invoke(stage.Index);
                while (stage.TryClaim(out GemmBlock mine, out int b))
                {
                    try
                    {
                        RowBlock<TOps, TVec>(p, cf, ldcf, mine, b);
                    }
                    finally
                    {
                        stage.BlockDone();
                    }
                }

                stage.WaitAndClose();
            }
        }

        GC.KeepAlive(bPackArray);
    }

    private static long s_stolenBlocks;

    /// <summary>Row blocks run by a worker other than their part's owner since the process started (tests read it).</summary>
    internal static long StolenBlocks => Interlocked.Read(ref s_stolenBlocks);

    /// <summary>Called by a part's owner after it opens a stage, before it claims any row block, with the part's index (tests slow one part down with it).</summary>
    internal static Action<int>? StageOpened { get; set; }

    /// <summary>
    /// After its own part, a worker takes row blocks of other workers' current stages (their packed B read from where
    /// they packed it, A packed into its own buffer) until none is left, so a worker slowed down (another process on
    /// its core, a late start) no longer holds up the call.
    /// </summary>
    private static void StealRowBlocks<TOps, TVec>(GemmProblem p, float* cf, int ldcf, GemmStage[] stages)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        // Every part is claimed by now (the caller's loop ran the counter past them): wait only for owners at work.
        var spinner = default(SpinWait);
        while (true)
        {
            bool found = false, running = false;
            foreach (GemmStage victim in stages)
            {
                running |= !victim.IsFinished;
                if (victim.TryClaim(out GemmBlock block, out int b))
                {
                    Interlocked.Increment(ref s_stolenBlocks);
                    try
                    {
                        RowBlock<TOps, TVec>(p, cf, ldcf, block, b);
                    }
                    finally
                    {
                        victim.BlockDone();
                    }

                    found = true;
                }
            }

            if (found)
            {
                spinner = default;
            }
            else if (running)
            {
                spinner.SpinOnce(sleep1Threshold: -1); // an owner between stages (packing its next B block) or on its last block
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Row block <paramref name="b"/> of a stage: A packed (or read in place) for its rows, then the micro-kernel over every (B panel, A panel) pair.</summary>
    private static void RowBlock<TOps, TVec>(GemmProblem p, float* cf, int ldcf, in GemmBlock s, int b)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        if (s.Dot)
        {
            RowBlockDot(p, cf, ldcf, s, b);
            return;
        }

        int nr = NrFor(TOps.Count), mr = MrFor(TOps.Count);
        int kc = s.Kc, pc = s.Pc, ic = s.I0 + (b * s.McStep), mc = Math.Min(s.McStep, s.I1 - ic);
        int panels = (s.Nc + nr - 1) / nr;
        float* aPack = CpuConvert.ScratchPointer(0, RoundUp(MC, mr) * KC);

        // F32 row-major A on the 8-row kernel, its rows in different L1 sets: the micro-kernel reads A in place from
        // its rows (RowsOfA8) instead of a transposed panel, with no packing pass over A (measured with the 12-row
        // kernel before it on one core of an AMD EPYC, A/B in one process: 512³ +2.4%, 1000³ +1.6%; two cores +5%). A row stride that is a multiple of
        // 4 KiB (every power-of-two K of 1024 or more) keeps the packed panel: there the rows share one L1 set, and a
        // two-core 4096³ ran up to 20% slower in place; a plain row copy to a padded stride instead of the transpose
        // measured no faster (fetching A from memory, not transposing it, is the cost of packing).
        bool rowsA = ReadsAInPlace(p, mr);
        nint ldaBytes = (nint)(p.LdA * sizeof(float));
        if (!rowsA)
        {
            PackA(p, ic, mc, pc, kc, aPack, mr);
        }
        else if (mc % mr != 0)
        {
            // The block's last, partial panel: its rows copied to the pack buffer with zero rows after them, so the
            // kernel's 8 row reads stay inside A.
            CopyRows(p, ic + (mc / mr * mr), mc % mr, mr, pc, kc, aPack, PartialPanelStride(kc));
        }

        for (int jp = 0; jp < panels; jp++)
        {
            int j = s.Jc + (jp * nr);
            int nCols = Math.Min(nr, s.J1 - j);
            float* bp = s.BPack + (jp * nr * kc);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mRows = Math.Min(mr, mc - ir);
                float* cTile = cf + ((long)(ic + ir) * ldcf) + j;
                if (mr == 8)
                {
                    // A panel (packed, or rows read in place: a block's last partial panel from its copy).
                    byte* rows = rowsA ? (mRows == mr ? (byte*)((float*)p.A + ((long)(ic + ir) * p.LdA) + pc) : (byte*)aPack) : null;
                    nint ldRows = mRows == mr ? ldaBytes : (nint)(PartialPanelStride(kc) * sizeof(float));
                    int vectors = (nCols + TOps.Count - 1) / TOps.Count;
                    if (vectors == 3)
                    {
                        Micro8Any<TOps, TVec, Three>(kc, aPack + (ir * kc), rows, ldRows, bp, cTile, ldcf, p.Alpha, mRows, nCols, s.Overwrite);
                    }
                    else if (vectors == 2)
                    {
                        Micro8Any<TOps, TVec, Two>(kc, aPack + (ir * kc), rows, ldRows, bp, cTile, ldcf, p.Alpha, mRows, nCols, s.Overwrite);
                    }
                    else
                    {
                        Micro8Any<TOps, TVec, One>(kc, aPack + (ir * kc), rows, ldRows, bp, cTile, ldcf, p.Alpha, mRows, nCols, s.Overwrite);
                    }
                }
                else
                {
                    Micro<TOps, TVec>(kc, aPack + (ir * kc), bp, cTile, ldcf, p.Alpha, mRows, nCols, s.Overwrite);
                }
            }
        }
    }

    /// <summary>
    /// The worker grid (wm row parts × wn column parts, wm·wn = workers) with the least estimated time on its busiest
    /// worker: its FMAs (32 per cycle) plus the packing it does, <paramref name="aCost"/> and <paramref name="bCost"/>
    /// cycles per element of A and of B (A is repacked for every column block of <see cref="NcFor"/>). Small problems
    /// run on one worker.
    /// </summary>
    internal static (int Wm, int Wn) Grid(int workers, int m, int n, int k, int mr, int nr, double aCost = 0.5, double bCost = 0.5)
    {
        if (workers <= 1 || (long)m * n * k < (1L << 21))
        {
            return (1, 1);
        }

        (int, int) best = (1, 1);
        double bestCost = double.MaxValue;
        int rowUnits = (m + mr - 1) / mr, colUnits = (n + nr - 1) / nr;
        for (int wm = 1; wm <= workers; wm++)
        {
            if (workers % wm != 0)
            {
                continue;
            }

            int wn = workers / wm;
            double rows = Math.Min(m, (double)((rowUnits + wm - 1) / wm) * mr);
            double cols = Math.Min(n, (double)((colUnits + wn - 1) / wn) * nr);
            double cost = (rows * cols / 32) + (aCost * rows * Math.Ceiling(cols / NcFor(nr))) + (bCost * cols);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = (wm, wn);
            }
        }

        return best;
    }

    [ThreadStatic]
    private static float[]? t_bPack;

    private static long s_calls;

    [ThreadStatic]
    private static long t_copyCall;

    [ThreadStatic]
    private static nint t_copyOf;

    [ThreadStatic]
    private static nint t_copyRows;

    [ThreadStatic]
    private static long t_copyLd;

    /// <summary>A number no other parallel call has: tells a worker's first chunk of a call from its later ones (<see cref="WorkerPack"/>).</summary>
    private static long NextCall() => Interlocked.Increment(ref s_calls);

    /// <summary>Most floats of packed Aᵀ a worker of the broadcast decode tiles packs for itself (<see cref="WorkerPack"/>, 16 MiB); beyond, one is packed before the workers start and shared.</summary>
    private const long MaxWorkerPack = 1 << 22;

    /// <summary>
    /// The packed Aᵀ that this thread's chunks of call <paramref name="call"/> read: the worker's own (scratch slot 6),
    /// packed by <see cref="PackQuadsOfK"/> from <paramref name="a"/> (or from the worker's own widened copy of A) on
    /// its first chunk of the call. Every worker packs the same values, so the results do not depend on which chunks it
    /// takes.
    /// </summary>
    /// <remarks>
    /// Why one per worker: the broadcast decode tiles re-read all of packed A (up to 16 × K floats) for every few B
    /// rows while B streams through the caches, and two cores re-reading one buffer ran slower than each reading its
    /// own. Measured on the Ice Lake Xeon VM: the 16-row tile alone on two threads over halves of one B, 123–128
    /// GFLOP/s with A shared against 140–148 with a copy each (two processes, each with its own A and B: 175–183); the
    /// whole GEMM on two cores, A/B in one process, F32 16×4096×4096 110 → 124 and 124 → 135, 16×7168×2048 117 → 125,
    /// 16×2048×7168 129 → 139, 12×4096×4096 91 → 100; BF16 16×4096×4096 124 → 141, 16×7168×2048 116 → 128; F16
    /// 16×4096×4096 71 → 78; 8 rows even to +8%. The runs of one and two rows (A a few KiB), the half-precision dot
    /// tiles and the unpacked-B GEMM measured even with copies, and read A shared.
    /// Why each worker packs from A rather than copying one thread's pack: the calling thread used to widen A into a
    /// call buffer and pack it before the workers started, and the others copied its pack on their first chunk. Timed
    /// inside a two-core 16×4096×4096 call (3.5 ms), the first chunk began 120–230 µs after the launch, 50–80 µs of it
    /// that widening and packing with A cold in memory, while the other core waited. Now an F32 A [M,K] is read in
    /// place and both cores pack at once; an F16/BF16 (or transposed) A is widened by each worker for itself.
    /// </remarks>
    /// <param name="call">The call (<see cref="NextCall"/>).</param>
    /// <param name="p">The problem (M, K, and A for the widening).</param>
    /// <param name="a">A's F32 rows (A itself), or null: then the worker first widens A into its own rows (scratch slot 4).</param>
    /// <param name="lda">Floats between <paramref name="a"/>'s rows.</param>
    /// <param name="rowsPer">Rows of A per step of the pack (<see cref="PackQuadsOfK"/>).</param>
    /// <param name="steps">Steps of the pack.</param>
    /// <param name="aw">Floats per step of the pack.</param>
    /// <param name="floats">Floats of the pack.</param>
    /// <param name="rows">A's F32 rows this worker reads (<paramref name="a"/>, or its widened copy).</param>
    /// <param name="ldRows">Floats between <paramref name="rows"/>' rows.</param>
    /// <param name="lines">Pack by <see cref="PackLinesOfK"/> (for <see cref="DecodeRuns4"/>; <paramref name="rowsPer"/> and <paramref name="aw"/> unused) instead of <see cref="PackQuadsOfK"/>.</param>
    /// <returns>This worker's packed Aᵀ.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* WorkerPack(long call, in GemmProblem p, float* a, long lda, int rowsPer, int steps, int aw, long floats, out float* rows, out long ldRows, bool lines = false)
    {
        float* own = CpuConvert.ScratchPointer(6, (int)floats);
        if (t_copyCall != call || t_copyOf != (nint)own)
        {
            if (a == null)
            {
                // F16/BF16 (or transposed) A: widened by this worker, rows laid out as Skinny widens them.
                lda = WidenedLd(p.K);
                a = CpuConvert.ScratchPointer(4, (int)(p.M * lda));
                WidenRowsOfA(p, 0, p.M, a, lda);
            }

            PackDecodeA(a, lda, p.M, lines, rowsPer, steps, own, aw);
            t_copyCall = call;
            t_copyOf = (nint)own;
            t_copyRows = (nint)a;
            t_copyLd = lda;
        }

        rows = (float*)t_copyRows;
        ldRows = t_copyLd;
        return own;
    }

    /// <summary>A's F32 rows packed for the decode paths: by <see cref="PackLinesOfK"/> (<paramref name="lines"/>; <paramref name="rowsPer"/> and <paramref name="aw"/> unused) or by <see cref="PackQuadsOfK"/>.</summary>
    private static void PackDecodeA(float* a, long lda, int m, bool lines, int rowsPer, int steps, float* dst, int aw)
    {
        if (lines)
        {
            PackLinesOfK(a, lda, m, steps, dst);
        }
        else
        {
            PackQuadsOfK(a, lda, m, rowsPer, steps, dst, aw);
        }
    }

    /// <summary>
    /// The packed A every worker of a decode call reads when the pack passes <see cref="MaxWorkerPack"/> floats (within
    /// it each worker packs its own: <see cref="WorkerPack"/>), made before the workers start; disposing frees what was
    /// allocated. <c>default</c>: none.
    /// </summary>
    private readonly struct DecodeSharedPack : IDisposable
    {
        private readonly bool _packOwned, _wideOwned;

        private DecodeSharedPack(float* pack, bool packOwned, float* wide, bool wideOwned)
        {
            Pack = pack;
            _packOwned = packOwned;
            Wide = wide;
            _wideOwned = wideOwned;
        }

        /// <summary>The shared pack (null for <c>default</c>).</summary>
        public float* Pack { get; }

        /// <summary>A widened to F32 for the pack, or null when A's own F32 rows were packed.</summary>
        public float* Wide { get; }

        /// <summary>
        /// Packs A from <paramref name="pa"/> (its F32 rows, <paramref name="lda"/> floats apart), or, when that is null, from
        /// A widened here once: then <paramref name="pa"/> and <paramref name="lda"/> become that copy, which every worker
        /// also reads for the K tail. <paramref name="lines"/>: <see cref="PackLinesOfK"/>, else <see cref="PackQuadsOfK"/>
        /// with <paramref name="rowsPer"/> and <paramref name="aw"/>.
        /// </summary>
        public static DecodeSharedPack Make(in GemmProblem p, ref float* pa, ref long lda, long floats, int steps, bool lines, int rowsPer, int aw)
        {
            float* wide = null;
            bool wideOwned = false;
            if (pa == null)
            {
                lda = WidenedLd(p.K);
                wide = RentCallBuffer(4, p.M * lda, out wideOwned);
                WidenRowsOfA(p, 0, p.M, wide, lda);
                pa = wide;
            }

            float* pack;
            bool packOwned;
            try
            {
                pack = RentCallBuffer(5, floats, out packOwned);
            }
            catch
            {
                if (wideOwned)
                {
                    NativeMemory.AlignedFree(wide);
                }

                throw;
            }

            PackDecodeA(pa, lda, p.M, lines, rowsPer, steps, pack, aw);
            return new DecodeSharedPack(pack, packOwned, wide, wideOwned);
        }

        public void Dispose()
        {
            if (_packOwned)
            {
                NativeMemory.AlignedFree(Pack);
            }

            if (_wideOwned)
            {
                NativeMemory.AlignedFree(Wide);
            }
        }
    }

    /// <summary>The calling thread's pinned B-pack buffer (15 floats of slack to start it on 64 bytes), grown on demand and kept (an allocation per call cost more than a 512³ GEMM's packing).</summary>
    private static float[] PackBuffer(int floats)
    {
        float[]? b = t_bPack;
        if (b is null || b.Length < floats + 16)
        {
            b = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            t_bPack = b;
        }

        return b;
    }

    /// <summary>cf = beta·C, or 0 when beta = 0 (C is then not read, so NaN in it cannot leak); cf's rows are ldcf apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InitC(GemmProblem p, float* cf, int ldcf)
    {
        int n = p.N;
        CpuParallel.For(p.M, Math.Max(1, 65536 / Math.Max(n, 1)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(GemmProblem p, int pc, int kc, int jc, int nc, int nr, float* bPack)
    {
        int panels = (nc + nr - 1) / nr;
        CpuParallel.For(panels, Math.Max(1, 16384 / (kc * nr)), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (q0, q1) =>
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
                else if (p.InType == DType.F32)
                {
                    // B [N,K] (a Linear weight): the panel is a transpose of `cols` rows × kc (16×16 register blocks with
                    // AVX-512, then 8×8 and 4×4, the edges and the zero columns past `cols` element by element).
                    TransposeToPanel((float*)p.B + ((long)j0 * p.LdB) + pc, p.LdB, cols, kc, dst, nr);
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

    /// <summary>A[i0..i0+mc, pc..pc+kc] into mr-high panels, zero-padded: aPack[panel][k][mr].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(GemmProblem p, int i0, int mc, int pc, int kc, float* aPack, int mr)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            float* dst = aPack + (ir * kc);
            int rows = Math.Min(mr, mc - ir);
            if (p.InType == DType.F32 && !p.TransA)
            {
                TransposeToPanel((float*)p.A + ((long)(i0 + ir) * p.LdA) + pc, p.LdA, rows, kc, dst, mr);
            }
            else if (p.InType == DType.F32)
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    float* src = (float*)p.A + ((long)(pc + kk) * p.LdA) + i0 + ir;
                    if (rows == mr)
                    {
                        Buffer.MemoryCopy(src, dst + (kk * mr), mr * sizeof(float), mr * sizeof(float));
                        continue;
                    }

                    for (int r = 0; r < mr; r++)
                    {
                        dst[(kk * mr) + r] = r < rows ? src[r] : 0;
                    }
                }
            }
            else
            {
                for (int kk = 0; kk < kc; kk++)
                {
                    for (int r = 0; r < mr; r++)
                    {
                        dst[(kk * mr) + r] = r < rows ? p.LoadA(i0 + ir + r, pc + kk) : 0;
                    }
                }
            }
        }
    }

    /// <summary>Row stride (floats) of a copied partial A panel: a whole number of cache lines plus one (rows in different L1 sets; 8 rows fit the pack buffer).</summary>
    private static int PartialPanelStride(int kc) => RoundUp(kc, 16) + 16;

    /// <summary>
    /// Rows A[i0..i0+rows, pc..pc+kc] (F32, row-major) copied to dst with a stride of <paramref name="ldp"/> floats,
    /// then zero rows up to a multiple of <paramref name="mr"/>: the row layout the 8-row kernel reads in place (RowsOfA8).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRows(GemmProblem p, int i0, int rows, int mr, int pc, int kc, float* dst, int ldp)
    {
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>((float*)p.A + ((long)(i0 + r) * p.LdA) + pc, kc).CopyTo(new Span<float>(dst + ((long)r * ldp), kc));
        }

        for (int r = rows; r < RoundUp(rows, mr); r++)
        {
            new Span<float>(dst + ((long)r * ldp), kc).Clear();
        }
    }

    /// <summary>Whether the blocked path reads A in place from its rows (see RowBlock) rather than packing it: F32, row-major, on the 8-row kernel, rows spread over L1 sets.</summary>
    private static bool ReadsAInPlace(in GemmProblem p, int mr) => mr == 8 && p.InType == DType.F32 && !p.TransA && RowsSpreadInL1(p.LdA);

    /// <summary>
    /// Whether the 8 rows of the 512-bit micro-kernel, <paramref name="ld"/> floats apart and read at the same column, fall in more than one L1 set
    /// (64-byte lines, 4 KiB of set index, as in the 32 KiB 8-way and 48 KiB 12-way L1s of current x86 cores). A
    /// stride that is a multiple of 4 KiB puts them all in one set, where with the lines fetched ahead and those of B
    /// they outnumber its ways. (Two sets, a 2 KiB stride such as K = 512, measured well.)
    /// </summary>
    internal static bool RowsSpreadInL1(long ld)
    {
        long d = ld * sizeof(float) % 4096;
        Span<bool> seen = stackalloc bool[64];
        int sets = 0;
        for (int r = 0; r < 8; r++)
        {
            int set = (int)((r * d) % 4096 / 64);
            if (!seen[set])
            {
                seen[set] = true;
                sets++;
            }
        }

        return sets >= 2;
    }

    /// <summary>
    /// A k-major panel of <paramref name="width"/> floats per k from F32 rows: dst[kk·width + r] = src[r·ld + kk] for
    /// r &lt; rows and kk &lt; kc, and 0 for rows ≤ r &lt; width. Groups of sixteen rows go by 16×16 register transposes
    /// (AVX-512; packing B [N,K] 1.5× faster than 8×8, 3.4% → 2.3% of a one-core 512³ profile; the unpacked-B path's
    /// Aᵀ 2.3% → 1.7% of a one-core grouped GEMM's), groups of eight (and the 8-k rest of those) by 8×8 ones (AVX; 1–2%
    /// faster GEMMs than 4×4 ones, measured at 128×2048×7168 and 2048³ on one core), a group of four by a 4×4 one, the
    /// ragged edges and the padding element by element. Packs A panels, B [N,K] panels and the unpacked-B path's Aᵀ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeToPanel(float* src, long ld, int rows, int kc, float* dst, int width)
    {
        int r8 = System.Runtime.Intrinsics.X86.Avx.IsSupported ? rows & ~7 : 0, k8 = kc & ~7;
        int r4 = System.Runtime.Intrinsics.X86.Sse.IsSupported ? rows & ~3 : 0, k4 = kc & ~3;
        int r16 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? rows & ~15 : 0, k16 = r16 > 0 ? kc & ~15 : 0;
        for (int r = 0; r < r16; r += 16)
        {
            for (int kk = 0; kk < k16; kk += 16)
            {
                Transpose16x16(src + ((long)r * ld) + kk, ld, dst + ((long)kk * width) + r, width);
            }
        }

        for (int r = 0; r < r8; r += 8)
        {
            for (int kk = r < r16 ? k16 : 0; kk < k8; kk += 8)
            {
                Transpose8x8(src + ((long)r * ld) + kk, ld, dst + ((long)kk * width) + r, width);
            }
        }

        for (int r = r8; r < r4; r += 4)
        {
            for (int kk = 0; kk < k4; kk += 4)
            {
                Transpose4x4(src + ((long)r * ld) + kk, ld, dst + ((long)kk * width) + r, width);
            }
        }

        for (int r = 0; r < width; r++)
        {
            float* row = src + ((long)r * ld);
            for (int kk = r < r8 ? k8 : r < r4 ? k4 : 0; kk < kc; kk++)
            {
                dst[((long)kk * width) + r] = r < rows ? row[kk] : 0;
            }
        }
    }

    /// <summary>dst[i·ldd + j] = src[j·lds + i] for a 4×4 block (SSE unpack and move).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* src, long lds, float* dst, long ldd)
    {
        Vector128<float> r0 = Vector128.Load(src), r1 = Vector128.Load(src + lds), r2 = Vector128.Load(src + (2 * lds)), r3 = Vector128.Load(src + (3 * lds));
        Vector128<float> t0 = System.Runtime.Intrinsics.X86.Sse.UnpackLow(r0, r1), t1 = System.Runtime.Intrinsics.X86.Sse.UnpackLow(r2, r3);
        Vector128<float> t2 = System.Runtime.Intrinsics.X86.Sse.UnpackHigh(r0, r1), t3 = System.Runtime.Intrinsics.X86.Sse.UnpackHigh(r2, r3);
        System.Runtime.Intrinsics.X86.Sse.MoveLowToHigh(t0, t1).Store(dst);
        System.Runtime.Intrinsics.X86.Sse.MoveHighToLow(t1, t0).Store(dst + ldd);
        System.Runtime.Intrinsics.X86.Sse.MoveLowToHigh(t2, t3).Store(dst + (2 * ldd));
        System.Runtime.Intrinsics.X86.Sse.MoveHighToLow(t3, t2).Store(dst + (3 * ldd));
    }

    /// <summary>
    /// dst[i·ldd + j] = src[j·lds + i] for a 16×16 block (AVX-512: unpack, shuffle within 128-bit lanes, then two rounds
    /// of 128-bit lane shuffles; four shuffles per 16 floats, against six for two 8×8 AVX blocks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16x16(float* src, long lds, float* dst, long ldd)
    {
        // Rows in fours: u_{4g + q}, lane l, is column 4l + q of rows 4g..4g+3 (unpack, then shuffle within lanes).
        Vector512<float> r0 = Vector512.Load(src), r1 = Vector512.Load(src + (1 * lds)), r2 = Vector512.Load(src + (2 * lds)), r3 = Vector512.Load(src + (3 * lds));
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE), u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> r4 = Vector512.Load(src + (4 * lds)), r5 = Vector512.Load(src + (5 * lds)), r6 = Vector512.Load(src + (6 * lds)), r7 = Vector512.Load(src + (7 * lds));
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE), u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        Vector512<float> r8 = Vector512.Load(src + (8 * lds)), r9 = Vector512.Load(src + (9 * lds)), r10 = Vector512.Load(src + (10 * lds)), r11 = Vector512.Load(src + (11 * lds));
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE), u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        Vector512<float> r12 = Vector512.Load(src + (12 * lds)), r13 = Vector512.Load(src + (13 * lds)), r14 = Vector512.Load(src + (14 * lds)), r15 = Vector512.Load(src + (15 * lds));
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        Vector512<float> u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE), u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);

        // For column q of the fours: v (rows 0..7) and w (rows 8..15) hold lanes (q, q + 8) by 0x88 and (q + 4, q + 12) by
        // 0xDD of two fours; 0x88 / 0xDD of a v and its w are then whole columns.
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), x0 = Avx512F.Shuffle4x128(u0, u4, 0xDD), w0 = Avx512F.Shuffle4x128(u8, u12, 0x88), y0 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        Avx512F.Shuffle4x128(v0, w0, 0x88).Store(dst);
        Avx512F.Shuffle4x128(v0, w0, 0xDD).Store(dst + (8 * ldd));
        Avx512F.Shuffle4x128(x0, y0, 0x88).Store(dst + (4 * ldd));
        Avx512F.Shuffle4x128(x0, y0, 0xDD).Store(dst + (12 * ldd));
        Vector512<float> v1 = Avx512F.Shuffle4x128(u1, u5, 0x88), x1 = Avx512F.Shuffle4x128(u1, u5, 0xDD), w1 = Avx512F.Shuffle4x128(u9, u13, 0x88), y1 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Avx512F.Shuffle4x128(v1, w1, 0x88).Store(dst + (1 * ldd));
        Avx512F.Shuffle4x128(v1, w1, 0xDD).Store(dst + (9 * ldd));
        Avx512F.Shuffle4x128(x1, y1, 0x88).Store(dst + (5 * ldd));
        Avx512F.Shuffle4x128(x1, y1, 0xDD).Store(dst + (13 * ldd));
        Vector512<float> v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), x2 = Avx512F.Shuffle4x128(u2, u6, 0xDD), w2 = Avx512F.Shuffle4x128(u10, u14, 0x88), y2 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        Avx512F.Shuffle4x128(v2, w2, 0x88).Store(dst + (2 * ldd));
        Avx512F.Shuffle4x128(v2, w2, 0xDD).Store(dst + (10 * ldd));
        Avx512F.Shuffle4x128(x2, y2, 0x88).Store(dst + (6 * ldd));
        Avx512F.Shuffle4x128(x2, y2, 0xDD).Store(dst + (14 * ldd));
        Vector512<float> v3 = Avx512F.Shuffle4x128(u3, u7, 0x88), x3 = Avx512F.Shuffle4x128(u3, u7, 0xDD), w3 = Avx512F.Shuffle4x128(u11, u15, 0x88), y3 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
        Avx512F.Shuffle4x128(v3, w3, 0x88).Store(dst + (3 * ldd));
        Avx512F.Shuffle4x128(v3, w3, 0xDD).Store(dst + (11 * ldd));
        Avx512F.Shuffle4x128(x3, y3, 0x88).Store(dst + (7 * ldd));
        Avx512F.Shuffle4x128(x3, y3, 0xDD).Store(dst + (15 * ldd));
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

    /// <summary>One stage of a worker's part of the blocked GEMM: a column block and K slab, with the B block packed for it.</summary>
    private readonly struct GemmBlock(float* bPack, int jc, int nc, int j1, int pc, int kc, bool overwrite, int i0, int i1, int mcStep, bool dot)
    {
        public float* BPack { get; } = bPack;

        public int Jc { get; } = jc;

        public int Nc { get; } = nc;

        /// <summary>The end of the part's columns (the last panel's width is cut there).</summary>
        public int J1 { get; } = j1;

        public int Pc { get; } = pc;

        public int Kc { get; } = kc;

        public bool Overwrite { get; } = overwrite;

        public int I0 { get; } = i0;

        public int I1 { get; } = i1;

        public int McStep { get; } = mcStep;

        /// <summary>BF16 pairs packed for <see cref="CpuBf16Dot"/> (<see cref="RowBlockDot"/>) rather than F32 panels.</summary>
        public bool Dot { get; } = dot;
    }

    /// <summary>
    /// A worker's current stage, whose row blocks any worker may claim (<see cref="TryClaim"/>): the owner claims them
    /// in order, a worker done with its own part takes what is left. The word holds the stage's number (high 32 bits)
    /// and the next row block (low 32); between stages it is closed (index int.MaxValue), and the stage's fields change
    /// only then, so a claim that succeeds read them whole.
    /// </summary>
    private sealed class GemmStage(int index)
    {
        private const long ClosedIndex = int.MaxValue;
        private long _word = ClosedIndex;
        private long _number;
        private int _blocks;
        private int _done;
        private GemmBlock _block;
        private volatile bool _finished;

        /// <summary>The part's index in the worker grid.</summary>
        public int Index { get; } = index;

        /// <summary>Whether the owner has left its part (before that, a thief waits for its next stage rather than leave).</summary>
        public bool IsFinished => _finished;

        /// <summary>The owner has left its part (every stage closed).</summary>
        public void Finish() => _finished = true;

        /// <summary>Opens a stage of <paramref name="blocks"/> row blocks (the previous one is closed).</summary>
        public void Publish(in GemmBlock block, int blocks)
        {
            _block = block;
            _blocks = blocks;
            _done = 0;
            _number++;
            Volatile.Write(ref _word, _number << 32); // after the fields: a claim that sees the stage sees them
        }

        /// <summary>Claims the stage's next row block, if one is left.</summary>
        public bool TryClaim(out GemmBlock block, out int index)
        {
            while (true)
            {
                long w = Volatile.Read(ref _word);
                index = (int)(w & 0xFFFF_FFFF);
                if (index >= Volatile.Read(ref _blocks))
                {
                    block = default;
                    return false;
                }

                block = _block;

                // Succeeds only if no block was claimed and no stage changed since w was read: the fields read are the stage's.
                if (Interlocked.CompareExchange(ref _word, w + 1, w) == w)
                {
                    return true;
                }
            }
        }

        /// <summary>A claimed row block is done (its C rows written).</summary>
        public void BlockDone() => Interlocked.Increment(ref _done);

        /// <summary>Waits until every claimed block is done (their C writes visible), then closes the stage.</summary>
        public void WaitAndClose()
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _done) < _blocks)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            Volatile.Write(ref _word, (_number << 32) | ClosedIndex);
        }
    }
}
