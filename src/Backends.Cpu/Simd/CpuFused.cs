using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <summary>
/// One-pass F32 kernels over contiguous runs, on the widest vectors the CPU has (512, 256 or 128 bits from the same
/// generic code): silu and swiglu with a vectorised exp, a softmax row in three sweeps of one cache-resident row, and a
/// cache-bypassing copy for large moves.
/// </summary>
internal static unsafe class CpuFused
{
    /// <summary>
    /// How far ahead (floats: 4 KiB) the streaming loops that compute between their loads (silu, swiglu, rope, the F32
    /// → F16/BF16 cast) fetch their inputs into L1, one line for each line they consume. On an Intel Xeon (Ice Lake,
    /// 2 cores) the hardware prefetchers alone did not keep enough lines in flight while the vector pipes were busy, so
    /// memory time and compute time added up instead of overlapping. A/B in one process against a same-run copy, one
    /// core / two: silu 4096×4096 78 → 96–101% / 78 → 96%, swiglu 83 → 96% / 79 → 92%, rope (T 2048, 32 heads of 128)
    /// 78–85 → 89–92% / 82 → 88%, cast F32 → F16 69–70 → 87–89% / 71 → 88%. 2 KiB and 8 KiB measured within a few
    /// points of 4 KiB. Add and mul (no arithmetic to hide) measured even, so they do not fetch; moe-unpermute's eight
    /// short row streams measured worse so (78 → 73%) and fetch the next token's rows instead (<see cref="WeightedSum"/>;
    /// where, see <see cref="FetchesNextToken"/>).
    /// </summary>
    internal const int StreamAhead = 1024;

    /// <summary>
    /// Whether silu, swiglu and rmsnorm's four-row sweep fetch their inputs <see cref="StreamAhead"/> floats on (rope and
    /// the narrowing cast always do): not in the Zen 4 profile (<see cref="CpuTuning"/>), where its own prefetchers kept ahead and the fetch
    /// cost time. A/B in one process on the same buffers (GB/s, fetch → none; one core, then two): swiglu 4096×4096
    /// 18.1 → 23.9, 17.0 → 23.6, 20.4 → 22.9; 33.1 → 39.5, 34.8 → 39.5 (the fetch 2 KiB ahead instead of 4: 16.4 →
    /// 19.3, 17.0 → 21.0); rmsnorm 1024×7168 24.4 → 26.0, 20.9 → 22.6, 19.6 → 21.3; 40.3 → 42.7, 39.8 → 41.4; silu
    /// 4096×4096 20.0 → 19.1, 19.1 → 19.5, 17.7 → 18.7; 38.2 → 41.5, 31.5 → 33.5. On the same core the cast measured
    /// even (30.1 / 30.3, 24.1 / 25.2; 42.2 / 41.1, 41.0 / 41.6) and rope lost without it (36.9 → 34.3, 30.4 → 29.8),
    /// so they keep theirs.
    /// </summary>
    private static readonly bool StreamFetches = CpuTuning.Current.StreamFetches;

    /// <summary>
    /// Fetches into L1 the lines <see cref="StreamAhead"/> floats past <paramref name="p"/> .. <paramref name="p"/> +
    /// <paramref name="floats"/> (one per 16 floats; a prefetch never faults, so lines past an array's end are
    /// harmless). No-op off x86.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FetchAhead(float* p, int floats) => FetchLines(p + StreamAhead, floats);

    /// <summary><see cref="FetchAhead"/> for a sweep that walks down: the lines <see cref="StreamAhead"/> floats before <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FetchBehind(float* p, int floats) => FetchLines(p - StreamAhead, floats);

    /// <summary>
    /// Bytes past a store (mod 4 KiB) within which a later load of another address is held up by it when the store is
    /// a non-temporal one still in flight: the core matches loads against older stores by their low 12 address bits
    /// first ("4K aliasing"), and a streamed store stays in the store buffer long. Measured on an Ice Lake Xeon, one
    /// core, 2048×4096 F32 from memory, the output d bytes past the input (mod 4 KiB), time against d = 0: silu 1.46×
    /// at d = 64, 1.41× at 128, 1.38× at 192, 1.29× at 256, 1.13× at 384, 1.04× at 512; swiglu 3.2×, 1.7×, 1.24×,
    /// 1.06×, 1.02×; add 1.12×, 1.26×, 1.23×, 1.11×, 1.04×. Walking down instead took 1.19× (silu), 1.21× (swiglu) and
    /// 1.15× (add) at every such d, so the elementwise kernels walk down for d below 256 (<see cref="SweepDown"/>).
    /// Stores through the cache showed no such effect (and took about 1.4× at any d).
    /// </summary>
    internal const int AliasWindow = 256;

    /// <summary>
    /// Whether an elementwise sweep that writes <paramref name="y"/> with non-temporal stores from inputs
    /// <paramref name="a"/> and <paramref name="b"/> (null: none) should walk down instead of up: going up, each load
    /// follows the stores of the elements just before it, and when y sits less than <see cref="AliasWindow"/> bytes
    /// past an input (mod 4 KiB) those stores share its low address bits; going down, the stores trail the loads by as
    /// much. Down only when up meets such a store and down does not.
    /// </summary>
    internal static bool SweepDown(float* y, float* a, float* b)
    {
        static bool Near(nint d) => d > 0 && d < AliasWindow;
        nint da = ((nint)y - (nint)a) & 4095, db = b == null ? 0 : ((nint)y - (nint)b) & 4095;
        return (Near(da) || Near(db)) && !Near((4096 - da) & 4095) && !Near((4096 - db) & 4095);
    }

    /// <summary>
    /// Fetches into L1 (into L2 with <paramref name="intoL2"/>) the lines of <paramref name="p"/> .. <paramref name="p"/> +
    /// <paramref name="floats"/>, one per 16 floats (a prefetch never faults). No-op off x86. The softmax's and the
    /// weighted sum's fetches of the next row, <see cref="FetchAhead"/>, and the GEMM micro-kernels' B-panel fetch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FetchLines(float* p, int floats, bool intoL2 = false)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            if (floats <= 64)
            {
                // Written out: the callers' counts are constants (up to four 512-bit vectors), and the JIT kept the
                // loop, four iterations of a compare and a branch around each prefetch.
                FetchLine(p, intoL2);
                if (floats > 16)
                {
                    FetchLine(p + 16, intoL2);
                }

                if (floats > 32)
                {
                    FetchLine(p + 32, intoL2);
                }

                if (floats > 48)
                {
                    FetchLine(p + 48, intoL2);
                }

                return;
            }

            for (int l = 0; l < floats; l += 16)
            {
                FetchLine(p + l, intoL2);
            }
        }
    }

    /// <summary>One line into L1, or into L2 (x86 only: the callers check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FetchLine(float* p, bool intoL2)
    {
        if (intoL2)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch1(p);
        }
        else
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(p);
        }
    }

    /// <summary>y = x / (1 + exp(−x)) (silu(−∞) = −∞/∞ = NaN, as the contract's IEEE x·σ(x)).</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output (may be x).</param>
    /// <param name="n">Elements.</param>
    /// <param name="nonTemporal">Aligned stores bypass the caches (a large output not read again soon); the caller fences.</param>
    /// <param name="down">With <paramref name="nonTemporal"/>: walk from the last element down (see <see cref="SweepDown"/>).</param>
    public static void Silu(float* x, float* y, int n, bool nonTemporal = false, bool down = false)
    {
        if (nonTemporal && down)
        {
            Silu<StreamedDown>(x, y, n);
        }
        else if (nonTemporal)
        {
            Silu<Streamed>(x, y, n);
        }
        else
        {
            Silu<Cached>(x, y, n);
        }
    }

    /// <summary>
    /// The router's selection keys: s = sigmoid(x) (1 / (1 + e^−x): −∞ → 0, +∞ → 1, NaN → NaN) unless
    /// <paramref name="scoresReady"/> (then s is already filled), and key = s + bias (bias may be null), a NaN key
    /// made −∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatingKeys(float* x, float* s, float* bias, float* key, int n, bool scoresReady)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            GatingKeys<Vec512, Vector512<float>>(x, s, bias, key, n, scoresReady);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            GatingKeys<Vec256, Vector256<float>>(x, s, bias, key, n, scoresReady);
        }
        else
        {
            GatingKeys<Vec128, Vector128<float>>(x, s, bias, key, n, scoresReady);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatingKeys<TOps, TVec>(float* x, float* s, float* bias, float* key, int n, bool scoresReady)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count, i = 0;
        TVec one = TOps.Broadcast(1f);
        for (; i + w <= n; i += w)
        {
            TVec v = scoresReady ? TOps.Load(s + i) : TOps.Divide(one, TOps.OnePlusExpOfNegated(TOps.Load(x + i)));
            if (!scoresReady)
            {
                TOps.Store(s + i, v);
            }

            if (bias != null)
            {
                v = TOps.Add(v, TOps.Load(bias + i));
            }

            // A NaN key (NaN logit or bias) ranks below every number.
            TOps.Store(key + i, TOps.NanToNegativeInfinity(v));
        }

        if (i < n)
        {
            GatingKeysTail<TOps, TVec>(x + i, s + i, bias == null ? null : bias + i, key + i, n - i, scoresReady);
        }
    }

    /// <summary>
    /// The last partial vector of <see cref="GatingKeys{TOps, TVec}"/>: its sigmoids by the same vector code (see
    /// TailIn), since a scalar exp there differed in the last bits and the router then broke exact ties between experts
    /// by where they sat. (A method of its own, so the loop's method has no stackalloc; see SoftmaxTail.)
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void GatingKeysTail<TOps, TVec>(float* x, float* s, float* bias, float* key, int count, bool scoresReady)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* t = stackalloc float[MaxLanes];
        if (!scoresReady)
        {
            TailIn<TOps, TVec>(x, count, t);
            TOps.Store(t, TOps.Divide(TOps.Broadcast(1f), TOps.OnePlusExpOfNegated(TOps.Load(t))));
        }

        for (int j = 0; j < count; j++)
        {
            float v = scoresReady ? s[j] : t[j];
            s[j] = v;
            float k = bias != null ? v + bias[j] : v;
            key[j] = float.IsNaN(k) ? float.NegativeInfinity : k;
        }
    }

    /// <summary>The most floats a vector holds here (512-bit vectors): the size of a tail's temporary vector.</summary>
    private const int MaxLanes = 16;

    /// <summary>
    /// The last <paramref name="count"/> (fewer than a vector) elements at <paramref name="src"/> into the temporary
    /// vector <paramref name="t"/>, its other lanes filled with the last element (a value the function takes anyway). A
    /// kernel's tail then goes through the same vector code as its whole vectors, so an element's result does not depend
    /// on where it sits: the scalar MathF.Exp the tails used differed from the vector exp in the last bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TailIn<TOps, TVec>(float* src, int count, float* t)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        for (int j = 0; j < TOps.Count; j++)
        {
            t[j] = src[Math.Min(j, count - 1)];
        }
    }

    /// <summary>
    /// The largest and second largest of n keys (n ≥ 1), duplicates counted (two equal maxima make both the same; with
    /// one key the second is −∞), with no NaN among them. With 512-bit vectors and n a multiple of 16 (see
    /// <see cref="HasVectorTop2"/>) each lane keeps its own top two over the vectors, then the best lane gives the
    /// largest and the second is the larger of the other lanes' best and that lane's second: no data-dependent branch
    /// (the scalar loop, used otherwise, mispredicted several times a group on random keys).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (float Best, float Second) Top2(float* key, int n)
    {
        if (!HasVectorTop2 || n % 16 != 0)
        {
            float b = float.NegativeInfinity, sec = float.NegativeInfinity;
            for (int e = 0; e < n; e++)
            {
                float v = key[e];
                if (v > b)
                {
                    sec = b;
                    b = v;
                }
                else if (v > sec)
                {
                    sec = v;
                }
            }

            return (b, sec);
        }

        Vector512<float> m1 = Vector512.Load(key), m2 = Vector512.Create(float.NegativeInfinity);
        for (int i = 16; i < n; i += 16)
        {
            Vector512<float> v = Vector512.Load(key + i);
            m2 = Vector512.MaxNative(m2, Vector512.MinNative(m1, v));
            m1 = Vector512.MaxNative(m1, v);
        }

        float best = Vec512.MaxAcross(m1);
        ulong lanes = Vector512.Equals(m1, Vector512.Create(best)).ExtractMostSignificantBits();
        int j = System.Numerics.BitOperations.TrailingZeroCount(lanes);
        Vector512<float> others = Vector512.ConditionalSelect(
            Vector512.Equals(Vector512<int>.Indices, Vector512.Create(j)).AsSingle(), Vector512.Create(float.NegativeInfinity), m1);
        return (best, Math.Max(Vec512.MaxAcross(others), m2.GetElement(j)));
    }

    /// <summary>Whether <see cref="Top2"/> takes its vector path here (512-bit vectors; the group size must also be a multiple of 16).</summary>
    public static bool HasVectorTop2 => Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>y = silu(g)·u (<paramref name="nonTemporal"/> and <paramref name="down"/> as for <see cref="Silu(float*, float*, int, bool, bool)"/>).</summary>
    public static void SwiGlu(float* g, float* u, float* y, int n, bool nonTemporal = false, bool down = false)
    {
        if (nonTemporal && down)
        {
            SwiGlu<StreamedDown>(g, u, y, n);
        }
        else if (nonTemporal)
        {
            SwiGlu<Streamed>(g, u, y, n);
        }
        else
        {
            SwiGlu<Cached>(g, u, y, n);
        }
    }

    /// <summary>y = a + b (<paramref name="nonTemporal"/> and <paramref name="down"/> as for <see cref="Silu(float*, float*, int, bool, bool)"/>).</summary>
    public static void Add(float* a, float* b, float* y, int n, bool nonTemporal, bool down = false) =>
        Binary<Sum>(a, b, y, n, nonTemporal, down);

    /// <summary>y = a · b (<paramref name="nonTemporal"/> and <paramref name="down"/> as for <see cref="Silu(float*, float*, int, bool, bool)"/>).</summary>
    public static void Multiply(float* a, float* b, float* y, int n, bool nonTemporal, bool down = false) =>
        Binary<Product>(a, b, y, n, nonTemporal, down);

    private static void Silu<TStore>(float* x, float* y, int n)
        where TStore : struct, IStore
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Silu<Vec512, Vector512<float>, TStore>(x, y, n);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Silu<Vec256, Vector256<float>, TStore>(x, y, n);
        }
        else
        {
            Silu<Vec128, Vector128<float>, TStore>(x, y, n);
        }
    }

    private static void SwiGlu<TStore>(float* g, float* u, float* y, int n)
        where TStore : struct, IStore
    {
        if (Vector512.IsHardwareAccelerated)
        {
            SwiGlu<Vec512, Vector512<float>, TStore>(g, u, y, n);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            SwiGlu<Vec256, Vector256<float>, TStore>(g, u, y, n);
        }
        else
        {
            SwiGlu<Vec128, Vector128<float>, TStore>(g, u, y, n);
        }
    }

    private static void Binary<TOp>(float* a, float* b, float* y, int n, bool nonTemporal, bool down)
        where TOp : struct, IBinary
    {
        if (Vector512.IsHardwareAccelerated)
        {
            if (nonTemporal && down)
            {
                Binary<Vec512, Vector512<float>, TOp, StreamedDown>(a, b, y, n);
            }
            else if (nonTemporal)
            {
                Binary<Vec512, Vector512<float>, TOp, Streamed>(a, b, y, n);
            }
            else
            {
                Binary<Vec512, Vector512<float>, TOp, Cached>(a, b, y, n);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (nonTemporal && down)
            {
                Binary<Vec256, Vector256<float>, TOp, StreamedDown>(a, b, y, n);
            }
            else if (nonTemporal)
            {
                Binary<Vec256, Vector256<float>, TOp, Streamed>(a, b, y, n);
            }
            else
            {
                Binary<Vec256, Vector256<float>, TOp, Cached>(a, b, y, n);
            }
        }
        else
        {
            Binary<Vec128, Vector128<float>, TOp, Cached>(a, b, y, n);
        }
    }

    /// <summary>
    /// y[0..kept) = softmax(scale·x[0..kept)) (max-subtracted; a NaN or +∞ makes the sum, so the row, NaN), y[kept..cols) = 0.
    /// x and y may be the same row. <paramref name="next"/>: the row that comes next (its first <paramref name="kept"/>
    /// floats are fetched into the cache during the exp sweep), or null.
    /// </summary>
    /// <param name="x">The row's input.</param>
    /// <param name="y">The row's output.</param>
    /// <param name="kept">Columns in the softmax; the rest of the row's output is 0.</param>
    /// <param name="cols">Columns of the row.</param>
    /// <param name="scale">Factor applied to x first.</param>
    /// <param name="next">The next row's input, fetched meanwhile, or null.</param>
    /// <param name="stage">
    /// Null: y is written in place of the exponentials and scaled in a third sweep. Otherwise a cache-resident row of at
    /// least <paramref name="kept"/> floats (not <paramref name="pending"/>'s) that takes the exponentials: y is not
    /// written now but left in <paramref name="pending"/>, and written with non-temporal stores during the next row's
    /// exp sweep (or by <see cref="SoftmaxFlush"/>). A large output then costs no read for ownership of its lines, and
    /// its stores overlap the exp arithmetic as the next row's fetch does.
    /// </param>
    /// <param name="pending">The previous row still to write (when <paramref name="stage"/> is not null); written here and replaced by this row.</param>
    public static void SoftmaxRow(float* x, float* y, int kept, int cols, float scale, float* next, float* stage, ref SoftmaxPending pending)
    {
        if (scale == 1f)
        {
            SoftmaxRow<Unscaled>(x, y, kept, cols, scale, next, stage, ref pending);
        }
        else
        {
            SoftmaxRow<Scaled>(x, y, kept, cols, scale, next, stage, ref pending);
        }
    }

    /// <summary>One row written at once: <see cref="SoftmaxRow(float*, float*, int, int, float, float*, float*, ref SoftmaxPending)"/> without a staging row.</summary>
    public static void SoftmaxRow(float* x, float* y, int kept, int cols, float scale, float* next)
    {
        SoftmaxPending none = default;
        SoftmaxRow(x, y, kept, cols, scale, next, null, ref none);
    }

    /// <summary>Writes the row <see cref="SoftmaxRow(float*, float*, int, int, float, float*, float*, ref SoftmaxPending)"/> left pending, if any (non-temporal stores: the caller fences).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxFlush(ref SoftmaxPending pending)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            WritePending<Vec512, Vector512<float>>(ref pending, 0);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            WritePending<Vec256, Vector256<float>>(ref pending, 0);
        }
        else
        {
            WritePending<Vec128, Vector128<float>>(ref pending, 0);
        }
    }

    private static void SoftmaxRow<TScale>(float* x, float* y, int kept, int cols, float scale, float* next, float* stage, ref SoftmaxPending pending)
        where TScale : struct, IScale
    {
        if (Vector512.IsHardwareAccelerated)
        {
            SoftmaxRow<Vec512, Vector512<float>, TScale>(x, y, kept, cols, scale, next, stage, ref pending);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            SoftmaxRow<Vec256, Vector256<float>, TScale>(x, y, kept, cols, scale, next, stage, ref pending);
        }
        else
        {
            SoftmaxRow<Vec128, Vector128<float>, TScale>(x, y, kept, cols, scale, next, stage, ref pending);
        }
    }

    /// <summary>The first <paramref name="count"/> lanes of a tail's temporary vector out to <paramref name="y"/> (the counterpart of TailIn).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TailOut(float* t, float* y, int count) => new ReadOnlySpan<float>(t, count).CopyTo(new Span<float>(y, count));

    /// <summary>
    /// A softmax row's last partial vector: e = exp(s·x − max) by the same vector exp as the rest (see TailIn; padded
    /// with its last element, which is ≤ the max), returning the sum of its lanes in order. A method of its own, so the
    /// row's method has no stackalloc (with it inline, one core, 2048×4096 measured 67–70% of a same-run copy against
    /// 82% for the code before in two alternating pairs; this way 77–82% against 68–75% in three).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float SoftmaxTail<TOps, TVec, TScale>(float* x, float* e, int count, TVec s, TVec mv, bool exp2, TVec k, TVec c)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TScale : struct, IScale
    {
        float* t = stackalloc float[MaxLanes];
        TailIn<TOps, TVec>(x, count, t);
        TOps.Store(t, SoftmaxExp<TOps, TVec, TScale>(TOps.Load(t), s, mv, exp2, k, c));
        float sum = 0;
        for (int j = 0; j < count; j++)
        {
            e[j] = t[j];
            sum += t[j];
        }

        return sum;
    }

    /// <summary>Copies bytes with stores that bypass the caches (the destination is not read again soon): a large move's full bandwidth.</summary>
    public static void CopyStreaming(byte* src, byte* dst, long bytes)
    {
        // Align the destination to 64 bytes with a plain copy, stream the 64-byte blocks, copy the tail.
        long head = Math.Min(bytes, (64 - ((nint)dst & 63)) & 63);
        Buffer.MemoryCopy(src, dst, head, head);
        src += head;
        dst += head;
        bytes -= head;
        long blocks = bytes / 64;
        if (Vector512.IsHardwareAccelerated)
        {
            StreamBlocks<Vec512, Vector512<float>>((float*)src, (float*)dst, blocks * 16);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            StreamBlocks<Vec256, Vector256<float>>((float*)src, (float*)dst, blocks * 16);
        }
        else
        {
            Buffer.MemoryCopy(src, dst, blocks * 64, blocks * 64);
        }

        long done = blocks * 64;
        Buffer.MemoryCopy(src + done, dst + done, bytes - done, bytes - done);
        FenceStreams();
    }

    /// <summary>
    /// Orders this thread's non-temporal stores before anything it does next (x86 SFENCE): a worker calls it before its
    /// chunk ends, so the op's completion is not reported ahead of its stores. Nothing where the CPU has none.
    /// </summary>
    public static void FenceStreams()
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.StoreFence();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StreamBlocks<TOps, TVec>(float* src, float* dst, long floats)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        long i = 0;
        for (; i + (4 * w) <= floats; i += 4 * w)
        {
            TVec a = TOps.Load(src + i), b = TOps.Load(src + i + w), c = TOps.Load(src + i + (2 * w)), d = TOps.Load(src + i + (3 * w));
            TOps.StoreNonTemporal(dst + i, a);
            TOps.StoreNonTemporal(dst + i + w, b);
            TOps.StoreNonTemporal(dst + i + (2 * w), c);
            TOps.StoreNonTemporal(dst + i + (3 * w), d);
        }

        for (; i + w <= floats; i += w)
        {
            TOps.StoreNonTemporal(dst + i, TOps.Load(src + i));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Silu<TOps, TVec, TStore>(float* x, float* y, int n)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int w = TOps.Count, i = 0;
        if (TStore.Descending)
        {
            // The elements past the last whole step first (going up: a few), then the steps from the top down.
            int top = n - (n % (4 * w));
            Silu<TOps, TVec, Streamed>(x + top, y + top, n - top);
            for (i = top - (4 * w); i >= 0; i -= 4 * w)
            {
                FetchBehind(x + i, 4 * w);
                SiluStep4<TOps, TVec, TStore>(x + i, y + i);
            }

            return;
        }

        // Four vectors a step (then two, then one): the exp is one long dependency chain, and independent ones side by
        // side keep the vector pipes busier than the out-of-order window alone does. Four against two, A/B in one
        // process, 4096×4096 from memory: one core +0–8% (73–78% → 76–81% of a same-run copy, seven pairs), two even.
        // The denominator by OnePlusExpOfNegated (no negation first; bit-identical): one core, 16 Ki floats in L2,
        // 2.04–2.17 → 1.92–1.99 ns a vector; from memory +1–3% (92–94% → 93–96% of the copy, quiet phase).
        // Each step fetches the lines StreamAhead floats on (see there).
        for (; i + (4 * w) <= n; i += 4 * w)
        {
            if (StreamFetches)
            {
                FetchAhead(x + i, 4 * w);
            }

            SiluStep4<TOps, TVec, TStore>(x + i, y + i);
        }

        for (; i + (2 * w) <= n; i += 2 * w)
        {
            TVec v0 = TOps.Load(x + i), v1 = TOps.Load(x + i + w);
            Put<TOps, TVec, TStore>(y + i, TOps.Divide(v0, TOps.OnePlusExpOfNegated(v0)));
            Put<TOps, TVec, TStore>(y + i + w, TOps.Divide(v1, TOps.OnePlusExpOfNegated(v1)));
        }

        for (; i + w <= n; i += w)
        {
            TVec v = TOps.Load(x + i);
            Put<TOps, TVec, TStore>(y + i, TOps.Divide(v, TOps.OnePlusExpOfNegated(v)));
        }

        if (i < n)
        {
            SiluTail<TOps, TVec>(x + i, y + i, n - i);
        }
    }

    /// <summary>The last partial vector of a silu by the same vector code (see TailIn), in a method of its own (its stackalloc).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SiluTail<TOps, TVec>(float* x, float* y, int count)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* t = stackalloc float[MaxLanes];
        TailIn<TOps, TVec>(x, count, t);
        TVec v = TOps.Load(t);
        TOps.Store(t, TOps.Divide(v, TOps.OnePlusExpOfNegated(v)));
        TailOut(t, y, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SwiGlu<TOps, TVec, TStore>(float* g, float* u, float* y, int n)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int w = TOps.Count, i = 0;
        if (TStore.Descending)
        {
            // The elements past the last whole vector first (going up), then the vectors from the top down.
            int top = n - (n % w);
            SwiGlu<TOps, TVec, Streamed>(g + top, u + top, y + top, n - top);
            for (i = top - w; i >= 0; i -= w)
            {
                if ((i & 15) == 0)
                {
                    FetchBehind(g + i, 1);
                    FetchBehind(u + i, 1);
                }

                SwiGluStep<TOps, TVec, TStore>(g + i, u + i, y + i);
            }

            return;
        }

        for (; i + w <= n; i += w)
        {
            // A line of each input StreamAhead floats on, once per 16 floats (see there).
            if (StreamFetches && (i & 15) == 0)
            {
                FetchAhead(g + i, 1);
                FetchAhead(u + i, 1);
            }

            SwiGluStep<TOps, TVec, TStore>(g + i, u + i, y + i);
        }

        if (i < n)
        {
            SwiGluTail<TOps, TVec>(g + i, u + i, y + i, n - i);
        }
    }

    /// <summary>The last partial vector of a swiglu by the same vector code (see TailIn), in a method of its own (its stackalloc).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SwiGluTail<TOps, TVec>(float* g, float* u, float* y, int count)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* tg = stackalloc float[MaxLanes];
        float* tu = stackalloc float[MaxLanes];
        TailIn<TOps, TVec>(g, count, tg);
        TailIn<TOps, TVec>(u, count, tu);
        SwiGluStep<TOps, TVec, Cached>(tg, tu, tg);
        TailOut(tg, y, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binary<TOps, TVec, TOp, TStore>(float* a, float* b, float* y, int n)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TOp : struct, IBinary
        where TStore : struct, IStore
    {
        int w = TOps.Count, i = 0;
        if (TStore.Descending)
        {
            // The elements past the last whole step first (going up), then the steps from the top down.
            int top = n - (n % (2 * w));
            Binary<TOps, TVec, TOp, Streamed>(a + top, b + top, y + top, n - top);
            for (i = top - (2 * w); i >= 0; i -= 2 * w)
            {
                BinaryStep2<TOps, TVec, TOp, TStore>(a + i, b + i, y + i);
            }

            return;
        }

        for (; i + (2 * w) <= n; i += 2 * w)
        {
            BinaryStep2<TOps, TVec, TOp, TStore>(a + i, b + i, y + i);
        }

        for (; i + w <= n; i += w)
        {
            Put<TOps, TVec, TStore>(y + i, TOp.Apply<TOps, TVec>(TOps.Load(a + i), TOps.Load(b + i)));
        }

        for (; i < n; i++)
        {
            y[i] = TOp.Apply(a[i], b[i]);
        }
    }

    /// <summary>Silu's four-vector step: y[0..4w) from x[0..4w), the four loads first (four independent exp chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SiluStep4<TOps, TVec, TStore>(float* x, float* y)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int w = TOps.Count;
        TVec v0 = TOps.Load(x), v1 = TOps.Load(x + w), v2 = TOps.Load(x + (2 * w)), v3 = TOps.Load(x + (3 * w));
        Put<TOps, TVec, TStore>(y, TOps.Divide(v0, TOps.OnePlusExpOfNegated(v0)));
        Put<TOps, TVec, TStore>(y + w, TOps.Divide(v1, TOps.OnePlusExpOfNegated(v1)));
        Put<TOps, TVec, TStore>(y + (2 * w), TOps.Divide(v2, TOps.OnePlusExpOfNegated(v2)));
        Put<TOps, TVec, TStore>(y + (3 * w), TOps.Divide(v3, TOps.OnePlusExpOfNegated(v3)));
    }

    /// <summary>Swiglu's step: one vector of y = silu(g)·u.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SwiGluStep<TOps, TVec, TStore>(float* g, float* u, float* y)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        TVec v = TOps.Load(g);
        TVec s = TOps.Divide(v, TOps.OnePlusExpOfNegated(v));
        Put<TOps, TVec, TStore>(y, TOps.Multiply(s, TOps.Load(u)));
    }

    /// <summary>The binary ops' two-vector step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BinaryStep2<TOps, TVec, TOp, TStore>(float* a, float* b, float* y)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TOp : struct, IBinary
        where TStore : struct, IStore
    {
        int w = TOps.Count;
        TVec r0 = TOp.Apply<TOps, TVec>(TOps.Load(a), TOps.Load(b));
        TVec r1 = TOp.Apply<TOps, TVec>(TOps.Load(a + w), TOps.Load(b + w));
        Put<TOps, TVec, TStore>(y, r0);
        Put<TOps, TVec, TStore>(y + w, r1);
    }

    /// <summary>
    /// Whether a softmax row's fetch of the next row starts in its max sweep (see the staged SoftmaxRow): not on AMD
    /// family 19h (the Zen 4 profile of <see cref="CpuTuning"/>). There a core computes the row's exponentials more slowly than memory brings the row (the
    /// 512-bit operations take two cycles of its 256-bit units: 3.5–4.1 ns per 16 floats in L1, against 3.4 ns for a
    /// copy of them), so the exp sweep lasts long enough to bring in all of the next row, and fetching a quarter of it
    /// during the max sweep only competes with that sweep's own reads from memory. A/B in one process on one Zen 4
    /// core (GB/s, early fetch → all of it in the exp sweep): 2048×4096 16.3 → 17.3, 18.4 → 20.0, 16.7 → 18.0;
    /// 1024×8192 19.5 → 22.1, 4096×2048 13.8 → 14.7, 8192×1024 14.7 → 15.2, 512×16384 15.9 → 17.0; two cores
    /// 2048×4096 27.9 → 30.4, 30.6 → 36.1, 1024×8192 27.6 → 30.0, 4096×2048 31.2 → 32.6.
    /// </summary>
    private static readonly bool SoftmaxEarlyFetch = CpuTuning.Current.SoftmaxEarlyFetch;

    /// <summary>log2 e in float64.</summary>
    private const double Log2E = 1.4426950408889634;

    /// <summary>
    /// The largest |max| of a row whose exponentials <see cref="SoftmaxExp{TOps, TVec, TScale}"/> computes as
    /// 2^(x·k + c): c = −max·log2 e rounded to float32 carries an error of at most half its ulp, 2^−8 here, which shifts
    /// every exponent of the row alike and so scales every exponential and their sum by the same factor below 1.003,
    /// which the division by the sum removes. Larger maxima (and ±∞, NaN), and a scale so large that scale·log2 e
    /// overflows, take the subtract-first exp.
    /// </summary>
    private const float SoftmaxExp2MaxLimit = 65536f;

    /// <summary>
    /// The exponentials of softmax's sweep 2. With 512-bit vectors and <paramref name="exp2"/> (the row's |max| at most
    /// <see cref="SoftmaxExp2MaxLimit"/>): 2^(x·k + c) with k = scale·log2 e and c = −max·log2 e (<see
    /// cref="Vec512.Exp2Fma"/>), one FMA where the subtract-first form takes a multiply by the scale, a subtraction, a
    /// multiply by log2 e and the reduction by ln 2. The exponent's rounding error is that of x·scale − max in the other
    /// form, |x·scale − max|·2^−24 relative, and c's rounding scales the row's exponentials and their sum alike. Else
    /// e^(x·scale − max) by <see cref="IVecOps{TVec}.FastExpNonPositive"/>. Measured on one Zen 4 core: the sweep alone
    /// on a 4096-float row in L1 3.0 → 2.6 ns per 16 floats; the whole softmax, 2048×4096 from memory, both forms in
    /// one process on the same buffers (median GB/s): one core 21.1 → 22.0, 20.6 → 22.0, 21.8 → 23.3, scaled (0.088)
    /// 19.1 → 22.5, 21.4 → 24.7; 1024×8192 21.7 → 23.0; two cores 33.8 → 35.4, 39.1 → 40.4, scaled 31.1 → 32.9.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec SoftmaxExp<TOps, TVec, TScale>(TVec v, TVec s, TVec mv, bool exp2, TVec k, TVec c)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TScale : struct, IScale
    {
        if (typeof(TVec) == typeof(Vector512<float>) && exp2)
        {
            Vector512<float> r = Vec512.Exp2Fma(Unsafe.As<TVec, Vector512<float>>(ref v), Unsafe.As<TVec, Vector512<float>>(ref k), Unsafe.As<TVec, Vector512<float>>(ref c));
            return Unsafe.As<Vector512<float>, TVec>(ref r);
        }

        return TOps.FastExpNonPositive(TOps.Subtract(Scale<TOps, TVec, TScale>(v, s), mv));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRow<TOps, TVec, TScale>(float* x, float* y, int kept, int cols, float scale, float* next, float* stage, ref SoftmaxPending pending)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TScale : struct, IScale
    {
        int w = TOps.Count;
        TVec s = TOps.Broadcast(scale);

        // Staged: the exponentials go to the staging row, and the pending row's first `fused` outputs are written in
        // the exp sweep's four-vector loop (whole steps of both rows, that range from its top down), the rest of it after.
        float* e = stage != null ? stage : y;
        float* py = stage != null ? pending.Y : null;
        float* pst = pending.Stage;
        TVec pinv = TOps.Broadcast(pending.Inv);
        int fused = py == null ? 0 : Math.Min(kept, pending.Kept) / (4 * w) * (4 * w);
        bool pyAligned = ((nint)py & ((w * sizeof(float)) - 1)) == 0;
        float inv = 0;
        if (kept > 0)
        {
            // Sweep 1: the max of scale·x (a NaN anywhere makes the sum NaN below, whatever the max is). Four
            // accumulators: with two the sweep waits on the max's latency (0.58 → 0.37 ns a vector in L1 in a copy of the loop).
            float max = float.NegativeInfinity;
            int i = 0;

            // The next row is fetched meanwhile (a line per 64 bytes), so its max sweep does not wait on memory with the
            // vector pipes idle: into L1 when four rows fit there (this one, the next, the staging row and the pending
            // one), else into L2, where the next row no longer pushes out the rows this sweep works on. A/B in one
            // process, one core: 2048×4096 (16 KiB rows) 84.5 → 87.4%, 85.6 → 88.7%, 78.6 → 81.4% of a same-run copy in
            // three pairs, two cores 75.0 → 78.2%, 83.9 → 86.9%; 1024×8192 69.0 → 72.8%, 512×16384 66.0 → 69.5%. Rows
            // that fit (4096×2048, 8192×1024) measured even either way and keep L1.
            bool fetch = next != null && System.Runtime.Intrinsics.X86.Sse.IsSupported;
            bool fetchIntoL2 = 4L * kept * sizeof(float) > CpuCaches.L1;
            // With 512-bit vectors the fetch starts in this max sweep: a line of the next row per step (the row's first
            // quarter), the other three quarters during the exp sweep, three lines per step. The max sweep, reading a
            // cached row, had left memory idle. A/B in one process (alternating blocks, % of a same-run copy): one core
            // 2048×4096 68.8 → 73.4, 65.0 → 70.3, 67.1 → 69.9, 74.3 → 77.2, 65.7 → 69.9; 1024×8192 67.5 → 70.8;
            // 4096×2048 67.4 → 71.5; 8192×1024 64.1 → 66.6; two cores 2048×4096 71.8 → 76.0, 71.0 → 75.0, 72.8 →
            // 75.0; 1024×8192 65.5 → 71.4 (that harness's input and output sit at the same offset mod 4 KiB). In
            // `cpu-compare --part memory`, five alternating pairs of processes: one core 78/78/81/81/79% of its copy
            // against 78/77/81/82/75%, two cores 82/82/79/82/78% against 81/83/79/77/73%. (Half the row in the max
            // sweep measured about the same; three quarters worse.) Not on Zen 4: SoftmaxEarlyFetch.
            bool early = fetch && w == 16 && SoftmaxEarlyFetch;
            int quarter = (kept >> 2) & ~15;
            if (kept >= w)
            {
                TVec m = Scale<TOps, TVec, TScale>(TOps.Load(x), s), m2 = m, m3 = m, m4 = m;
                for (i = w; i + (4 * w) <= kept; i += 4 * w)
                {
                    if (early)
                    {
                        FetchLines(next + ((i - w) >> 2), 16, fetchIntoL2);
                    }

                    m = TOps.Max(m, Scale<TOps, TVec, TScale>(TOps.Load(x + i), s));
                    m2 = TOps.Max(m2, Scale<TOps, TVec, TScale>(TOps.Load(x + i + w), s));
                    m3 = TOps.Max(m3, Scale<TOps, TVec, TScale>(TOps.Load(x + i + (2 * w)), s));
                    m4 = TOps.Max(m4, Scale<TOps, TVec, TScale>(TOps.Load(x + i + (3 * w)), s));
                }

                for (; i + w <= kept; i += w)
                {
                    m = TOps.Max(m, Scale<TOps, TVec, TScale>(TOps.Load(x + i), s));
                }

                max = TOps.MaxAcross(TOps.Max(TOps.Max(m, m2), TOps.Max(m3, m4)));
            }

            for (; i < kept; i++)
            {
                max = MathF.Max(max, x[i] * scale);
            }

            // Sweep 2: e = exp(scale·x − max) into y, summed (x − max ≤ 0, or NaN: FastExpNonPositive, two instructions
            // fewer than FastExp; one core, 2048×4096 from memory, A/B in one process: 13–16% less time a row), or with
            // 512-bit vectors and a moderate max 2^(x·k + c), proportional to it (see SoftmaxExp). Sweep 3: y · (1/sum).
            TVec mv = TOps.Broadcast(max), acc = TOps.Zero, acc2 = TOps.Zero, acc3 = TOps.Zero, acc4 = TOps.Zero;
            float k32 = (float)((TScale.Apply ? scale : 1.0) * Log2E);
            bool exp2 = typeof(TVec) == typeof(Vector512<float>) && Math.Abs(max) <= SoftmaxExp2MaxLimit && float.IsFinite(k32);
            TVec k = TOps.Broadcast(k32), c = TOps.Broadcast((float)(-max * Log2E));
            float sum = 0;
            // Four vectors a step (four independent exp chains; then two and one for the rest): against two a step, A/B
            // in one process on one core, 2048×4096 62–63% → 66–67% of a same-run copy (three pairs), 8192×1000 48% →
            // 61%, causal rows even; two cores +9% and −3%.
            for (i = 0; i + (4 * w) <= kept; i += 4 * w)
            {
                if (early)
                {
                    FetchLines(next + quarter + ((i >> 2) * 3), 48, fetchIntoL2);
                }
                else if (fetch)
                {
                    if (fetchIntoL2)
                    {
                        FetchLines(next + i, 4 * w, intoL2: true);
                    }
                    else
                    {
                        FetchLines(next + i, 4 * w);
                    }
                }

                TVec e0 = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i), s, mv, exp2, k, c);
                TVec e1 = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i + w), s, mv, exp2, k, c);
                TVec e2 = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i + (2 * w)), s, mv, exp2, k, c);
                TVec e3 = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i + (3 * w)), s, mv, exp2, k, c);
                TOps.Store(e + i, e0);
                TOps.Store(e + i + w, e1);
                TOps.Store(e + i + (2 * w), e2);
                TOps.Store(e + i + (3 * w), e3);
                acc = TOps.Add(acc, e0);
                acc2 = TOps.Add(acc2, e1);
                acc3 = TOps.Add(acc3, e2);
                acc4 = TOps.Add(acc4, e3);
                if (i < fused)
                {
                    // The pending row's steps from its top down while this row's go up: streamed stores that followed
                    // the loads step for step would hold up every load when the output sits just past the input (mod
                    // 4 KiB, see AliasWindow); crossing, they meet only in passing. One core, 2048×4096, output 64 B
                    // past the input: 5.65 → 4.26 ms; 0 B past: 4.42 → 4.10, and 80.8 → 83.0% of a same-run copy (two
                    // cores 74.3 → 76.9%).
                    // Aligned once for the row (every step is whole vectors from py), so the stores skip the
                    // per-store alignment test: with the fetch written out, a 4096-float row in L1 1090 → 990 ns.
                    int j = fused - (4 * w) - i;
                    if (pyAligned)
                    {
                        PendingStep4<TOps, TVec>(py + j, pst + j, pinv, aligned: true);
                    }
                    else
                    {
                        PendingStep4<TOps, TVec>(py + j, pst + j, pinv, aligned: false);
                    }
                }
            }

            acc = TOps.Add(acc, acc3);
            acc2 = TOps.Add(acc2, acc4);

            for (; i + (2 * w) <= kept; i += 2 * w)
            {
                if (fetch)
                {
                    if (fetchIntoL2)
                    {
                        FetchLines(next + i, 2 * w, intoL2: true);
                    }
                    else
                    {
                        FetchLines(next + i, 2 * w);
                    }
                }

                TVec e0 = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i), s, mv, exp2, k, c);
                TVec e1 = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i + w), s, mv, exp2, k, c);
                TOps.Store(e + i, e0);
                TOps.Store(e + i + w, e1);
                acc = TOps.Add(acc, e0);
                acc2 = TOps.Add(acc2, e1);
            }

            acc = TOps.Add(acc, acc2);
            for (; i + w <= kept; i += w)
            {
                TVec ev = SoftmaxExp<TOps, TVec, TScale>(TOps.Load(x + i), s, mv, exp2, k, c);
                TOps.Store(e + i, ev);
                acc = TOps.Add(acc, ev);
            }

            if (i < kept)
            {
                // The last partial vector by the same vector exp (see SoftmaxTail): equal inputs now give equal
                // outputs wherever they sit.
                sum += SoftmaxTail<TOps, TVec, TScale>(x + i, e + i, kept - i, s, mv, exp2, k, c);
            }

            sum += TOps.Sum(acc);
            inv = 1f / sum;
            if (stage == null)
            {
                TVec iv = TOps.Broadcast(inv);
                for (i = 0; i + w <= kept; i += w)
                {
                    TOps.Store(y + i, TOps.Multiply(TOps.Load(y + i), iv));
                }

                for (; i < kept; i++)
                {
                    y[i] *= inv;
                }
            }
        }

        if (stage == null)
        {
            new Span<float>(y + kept, cols - kept).Clear();
            return;
        }

        // The previous row's outputs past the fused steps, then this row becomes the pending one.
        WritePending<TOps, TVec>(ref pending, fused);
        pending = new SoftmaxPending(stage, y, kept, cols, inv);
    }

    /// <summary>
    /// Four vectors of the pending softmax row: y = st·inv with non-temporal stores, <paramref name="aligned"/> (a constant
    /// at each call) when y is known to be vector-aligned, so the stores skip their alignment test.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PendingStep4<TOps, TVec>(float* y, float* st, TVec inv, bool aligned)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        PendingStore<TOps, TVec>(y, TOps.Multiply(TOps.Load(st), inv), aligned);
        PendingStore<TOps, TVec>(y + w, TOps.Multiply(TOps.Load(st + w), inv), aligned);
        PendingStore<TOps, TVec>(y + (2 * w), TOps.Multiply(TOps.Load(st + (2 * w)), inv), aligned);
        PendingStore<TOps, TVec>(y + (3 * w), TOps.Multiply(TOps.Load(st + (3 * w)), inv), aligned);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PendingStore<TOps, TVec>(float* y, TVec v, bool aligned)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        if (aligned)
        {
            TOps.StoreNonTemporalAligned(y, v);
        }
        else
        {
            TOps.StoreNonTemporal(y, v);
        }
    }

    /// <summary>Writes outputs [from, Cols) of the pending row: staged exponentials · Inv below Kept, zeros past it;
    /// vectors with non-temporal stores. Then there is no pending row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WritePending<TOps, TVec>(ref SoftmaxPending pending, int from)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* y = pending.Y, st = pending.Stage;
        if (y == null)
        {
            return;
        }

        int w = TOps.Count, kept = pending.Kept, cols = pending.Cols, i = from;
        float inv = pending.Inv;
        TVec iv = TOps.Broadcast(inv);
        for (; i + w <= kept; i += w)
        {
            TOps.StoreNonTemporal(y + i, TOps.Multiply(TOps.Load(st + i), iv));
        }

        for (; i < kept; i++)
        {
            y[i] = st[i] * inv;
        }

        for (; i + w <= cols; i += w)
        {
            TOps.StoreNonTemporal(y + i, TOps.Zero);
        }

        for (; i < cols; i++)
        {
            y[i] = 0;
        }

        pending = default;
    }

    /// <summary>Half-split rotation of <paramref name="heads"/> heads <paramref name="stride"/> floats apart, all by one
    /// position's rows: (x[p], x[p+half]) turned by (cos[p], sin[p]); x and y may be the same unless
    /// <paramref name="nonTemporal"/> (aligned stores of y bypass the caches; the caller fences).</summary>
    public static void RotateHalf(float* x, float* y, float* cos, float* sin, int half, int heads = 1, int stride = 0, bool nonTemporal = false)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                RotateHalf<Vec512, Vector512<float>, Streamed>(x, y, cos, sin, half, heads, stride);
            }
            else
            {
                RotateHalf<Vec512, Vector512<float>, Cached>(x, y, cos, sin, half, heads, stride);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                RotateHalf<Vec256, Vector256<float>, Streamed>(x, y, cos, sin, half, heads, stride);
            }
            else
            {
                RotateHalf<Vec256, Vector256<float>, Cached>(x, y, cos, sin, half, heads, stride);
            }
        }
        else
        {
            RotateHalf<Vec128, Vector128<float>, Cached>(x, y, cos, sin, half, heads, stride);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RotateHalf<TOps, TVec, TStore>(float* x, float* y, float* cos, float* sin, int half, int heads, int stride)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int w = TOps.Count;
        for (int h = 0; h < heads; h++, x += stride, y += stride)
        {
            int p = 0;
            for (; p + w <= half; p += w)
            {
                // Both halves' lines StreamAhead floats on, once per 16 floats (cos and sin are one cached row per token).
                if ((p & 15) == 0)
                {
                    FetchAhead(x + p, 1);
                    FetchAhead(x + half + p, 1);
                }

                TVec x0 = TOps.Load(x + p), x1 = TOps.Load(x + half + p), c = TOps.Load(cos + p), s = TOps.Load(sin + p);
                Put<TOps, TVec, TStore>(y + p, TOps.Subtract(TOps.Multiply(x0, c), TOps.Multiply(x1, s)));
                Put<TOps, TVec, TStore>(y + half + p, TOps.Add(TOps.Multiply(x0, s), TOps.Multiply(x1, c)));
            }

            for (; p < half; p++)
            {
                float x0 = x[p], x1 = x[half + p];
                y[p] = (x0 * cos[p]) - (x1 * sin[p]);
                y[half + p] = (x0 * sin[p]) + (x1 * cos[p]);
            }
        }
    }

    /// <summary>
    /// cos and sin of each pair's angle fl32(pos · invFreq[p]) (OpContracts.RopeAngle), evaluated in double (vector
    /// SinCos, which rounds to the same floats as Math.SinCos) and rounded to F32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RopeTable(int pos, float* invFreq, float* cos, float* sin, int half)
    {
        int p = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; p + 8 <= half; p += 8)
            {
                Vector512<double> angle = Vector512.WidenLower((Vector256.Create((float)pos) * Vector256.Load(invFreq + p)).ToVector512());
                (Vector512<double> sn, Vector512<double> cs) = Vector512.SinCos(angle);
                Vector256.Store(Vector512.Narrow(sn, sn).GetLower(), sin + p);
                Vector256.Store(Vector512.Narrow(cs, cs).GetLower(), cos + p);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; p + 4 <= half; p += 4)
            {
                Vector256<double> angle = Vector256.WidenLower((Vector128.Create((float)pos) * Vector128.Load(invFreq + p)).ToVector256());
                (Vector256<double> sn, Vector256<double> cs) = Vector256.SinCos(angle);
                Vector128.Store(Vector256.Narrow(sn, sn).GetLower(), sin + p);
                Vector128.Store(Vector256.Narrow(cs, cs).GetLower(), cos + p);
            }
        }

        for (; p < half; p++)
        {
            (double sn, double cs) = Math.SinCos(OpContracts.RopeAngle(pos, invFreq[p]));
            cos[p] = (float)cs;
            sin[p] = (float)sn;
        }
    }

    /// <summary>Columns per block of <see cref="ScaleRows"/>: 4 KiB of gamma, kept in L1 while each row of the group passes it.</summary>
    internal const int ScaleBlock = 1024;

    /// <summary>
    /// ys[r][i] = xs[r][i]·scales[r]·g[i] for r &lt; <paramref name="rows"/>, i &lt; n (rmsnorm's scaling), block by block
    /// of <see cref="ScaleBlock"/> columns with every row inside a block, so that block of g stays in L1 for all the rows
    /// instead of being fetched again from L2 for each (a 7168-float g and a row of x do not fit L1 together: on one core
    /// that refetch cost about 30% of a copy's speed). Meanwhile the <paramref name="nextRows"/> rows at
    /// <paramref name="next"/> (n floats each) are fetched a line per vector written, into L1 when
    /// <paramref name="nextIntoL1"/> and into L2 otherwise, so the caller's sums of squares over them read the cache.
    /// <paramref name="nonTemporal"/>: aligned stores bypass the caches (the caller fences); with it, <paramref name="down"/>
    /// walks the blocks and each row's vectors from the top down (see <see cref="SweepDown"/>). xs[r] and ys[r] may be
    /// the same row unless nonTemporal; rows must not otherwise overlap.
    /// </summary>
    public static void ScaleRows(float** xs, float** ys, float* scales, int rows, float* g, int n, bool nonTemporal, float** next, int nextRows, bool nextIntoL1, bool down = false)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            if (nonTemporal && down)
            {
                ScaleRows<Vec512, Vector512<float>, StreamedDown>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
            }
            else if (nonTemporal)
            {
                ScaleRows<Vec512, Vector512<float>, Streamed>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
            }
            else
            {
                ScaleRows<Vec512, Vector512<float>, Cached>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (nonTemporal && down)
            {
                ScaleRows<Vec256, Vector256<float>, StreamedDown>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
            }
            else if (nonTemporal)
            {
                ScaleRows<Vec256, Vector256<float>, Streamed>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
            }
            else
            {
                ScaleRows<Vec256, Vector256<float>, Cached>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
            }
        }
        else
        {
            ScaleRows<Vec128, Vector128<float>, Cached>(xs, ys, scales, rows, g, n, next, nextRows, nextIntoL1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleRows<TOps, TVec, TStore>(float** xs, float** ys, float* scales, int rows, float* g, int n, float** next, int nextRows, bool nextIntoL1)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int w = TOps.Count;

        // The fetch cursor: row nr of next, byte offset off in it (a line per vector written; a prefetch never faults,
        // and the last line of a row may reach past its end, which is harmless).
        bool fetch = nextRows > 0 && System.Runtime.Intrinsics.X86.Sse.IsSupported;
        int nr = 0;
        long off = 0, rowBytes = (long)n * sizeof(float);

        // Blocks and vectors in order, or from the top down (TStore.Descending: the block's elements past its last
        // whole vector first, then its vectors downwards).
        bool down = TStore.Descending;
        int blocks = (n + ScaleBlock - 1) / ScaleBlock;
        for (int bi = 0; bi < blocks; bi++)
        {
            int c0 = (down ? blocks - 1 - bi : bi) * ScaleBlock, c1 = Math.Min(n, c0 + ScaleBlock);
            int vectors = (c1 - c0) / w, top = c0 + (vectors * w);
            for (int r = 0; r < rows; r++)
            {
                float* x = xs[r], y = ys[r];
                float sr = scales[r];
                TVec s = TOps.Broadcast(sr);
                if (down)
                {
                    for (int j = top; j < c1; j++)
                    {
                        y[j] = x[j] * sr * g[j];
                    }
                }

                int i = down ? top - w : c0, step = down ? -w : w;
                for (int v = 0; v < vectors; v++, i += step)
                {
                    if (fetch)
                    {
                        FetchLine((float*)((byte*)next[nr] + off), intoL2: !nextIntoL1);

                        off += 64;
                        if (off >= rowBytes)
                        {
                            off = 0;
                            fetch = ++nr < nextRows;
                        }
                    }

                    Put<TOps, TVec, TStore>(y + i, TOps.Multiply(TOps.Multiply(TOps.Load(x + i), s), TOps.Load(g + i)));
                }

                if (!down)
                {
                    for (int j = top; j < c1; j++)
                    {
                        y[j] = x[j] * sr * g[j];
                    }
                }
            }
        }
    }

    /// <summary>
    /// rmsnorm's step of four rows in one pass: ys[r][i] = xs[r][i]·scales[r]·g[i] for r &lt; 4, i &lt; <paramref name="n"/>,
    /// while the sums of squares of the next four rows (<paramref name="next"/>) go to <paramref name="sums"/> (one chain of
    /// one vector accumulator per row; <see cref="SumsOfSquaresQuad"/> runs this same loop with nothing to scale, so a
    /// row's scale does not depend on whether it was summed here or at the start of a range), and the lines <see cref="StreamAhead"/>
    /// floats on in them are fetched into L1 (a line per line summed). The rows being scaled were read by the step
    /// before and come from the cache, the next rows stream in from memory beside the stores as in a copy, and each
    /// vector of g serves four rows. A next row may repeat another (its sum is then unused).
    /// <paramref name="nonTemporal"/>: aligned stores bypass the caches (the caller fences). xs[r] and ys[r] may be the
    /// same row unless nonTemporal; rows must not otherwise overlap.
    /// </summary>
    /// <remarks>
    /// It replaced rows summed in groups of up to eight and then scaled block by block with gamma held in L1 (a second
    /// pass over each row, from L2). Measured on an AMD EPYC (Zen 5), both codes in one build and one process,
    /// alternating on the same buffers (rmsnorm of 7168 columns; time of the groups / time of this, twice): one core
    /// 1024 rows 1.13, 1.05; 256 rows 1.10, 1.07; 128 rows 1.07, 1.16; two cores 1024 rows 1.02, 1.03; 256 rows 1.03,
    /// 1.26; 128 rows 1.06, 1.07 (16 rows, calls of 30–100 µs: 1.01, 1.30 and 1.57, 0.92). Comparisons on separately
    /// allocated buffers had disagreed, by up to 20% either way: where a buffer's pages land moves a kernel's time that
    /// much on that VM (docs/cpu.md, run S21). Two rows a step measured 2–5 points of a copy below four, and the fetch
    /// 2 KiB ahead 10–15 points below 4 KiB.
    /// </remarks>
    public static void ScaleQuadAndSumNext(float** xs, float** ys, float* scales, float* g, int n, float** next, float* sums, bool nonTemporal)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                ScaleQuadAndSumNext<Vec512, Vector512<float>, Streamed, Scaled>(xs, ys, scales, g, n, next, sums);
            }
            else
            {
                ScaleQuadAndSumNext<Vec512, Vector512<float>, Cached, Scaled>(xs, ys, scales, g, n, next, sums);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                ScaleQuadAndSumNext<Vec256, Vector256<float>, Streamed, Scaled>(xs, ys, scales, g, n, next, sums);
            }
            else
            {
                ScaleQuadAndSumNext<Vec256, Vector256<float>, Cached, Scaled>(xs, ys, scales, g, n, next, sums);
            }
        }
        else
        {
            ScaleQuadAndSumNext<Vec128, Vector128<float>, Cached, Scaled>(xs, ys, scales, g, n, next, sums);
        }
    }

    /// <summary>
    /// sums[r] = Σ rows[r][i]² over n floats for r &lt; 4: <see cref="ScaleQuadAndSumNext"/>'s own loop with no rows to
    /// scale, so a row's sum is the same bits whichever of the two took it (a range's first rows are summed here). A row
    /// may repeat another (its sum is then unused).
    /// </summary>
    public static void SumsOfSquaresQuad(float** rows, int n, float* sums)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            ScaleQuadAndSumNext<Vec512, Vector512<float>, Cached, Unscaled>(null, null, null, null, n, rows, sums);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ScaleQuadAndSumNext<Vec256, Vector256<float>, Cached, Unscaled>(null, null, null, null, n, rows, sums);
        }
        else
        {
            ScaleQuadAndSumNext<Vec128, Vector128<float>, Cached, Unscaled>(null, null, null, null, n, rows, sums);
        }
    }

    /// <summary>
    /// <see cref="ScaleQuadAndSumNext"/> (<typeparamref name="TScale"/> <see cref="Scaled"/>), or with
    /// <see cref="Unscaled"/> only the sums of the next rows (<paramref name="xs"/>, <paramref name="ys"/>,
    /// <paramref name="scales"/> and <paramref name="g"/> unread): one chain of one vector accumulator per row over the
    /// whole vectors in order, its lanes summed, then the elements past them one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleQuadAndSumNext<TOps, TVec, TStore, TScale>(float** xs, float** ys, float* scales, float* g, int n, float** next, float* sums)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
        where TScale : struct, IScale
    {
        float* x0 = null, x1 = null, x2 = null, x3 = null, y0 = null, y1 = null, y2 = null, y3 = null;
        float c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        if (TScale.Apply)
        {
            x0 = xs[0];
            x1 = xs[1];
            x2 = xs[2];
            x3 = xs[3];
            y0 = ys[0];
            y1 = ys[1];
            y2 = ys[2];
            y3 = ys[3];
            c0 = scales[0];
            c1 = scales[1];
            c2 = scales[2];
            c3 = scales[3];
        }

        float* n0 = next[0], n1 = next[1], n2 = next[2], n3 = next[3];
        TVec s0 = TOps.Broadcast(c0), s1 = TOps.Broadcast(c1), s2 = TOps.Broadcast(c2), s3 = TOps.Broadcast(c3);
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        int w = TOps.Count, i = 0;
        for (; i + w <= n; i += w)
        {
            if (StreamFetches)
            {
                FetchAhead(n0 + i, w);
                FetchAhead(n1 + i, w);
                FetchAhead(n2 + i, w);
                FetchAhead(n3 + i, w);
            }

            TVec p0 = TOps.Load(n0 + i), p1 = TOps.Load(n1 + i), p2 = TOps.Load(n2 + i), p3 = TOps.Load(n3 + i);
            a0 = TOps.MulAdd(p0, p0, a0);
            a1 = TOps.MulAdd(p1, p1, a1);
            a2 = TOps.MulAdd(p2, p2, a2);
            a3 = TOps.MulAdd(p3, p3, a3);
            if (TScale.Apply)
            {
                TVec gv = TOps.Load(g + i);
                Put<TOps, TVec, TStore>(y0 + i, TOps.Multiply(TOps.Multiply(TOps.Load(x0 + i), s0), gv));
                Put<TOps, TVec, TStore>(y1 + i, TOps.Multiply(TOps.Multiply(TOps.Load(x1 + i), s1), gv));
                Put<TOps, TVec, TStore>(y2 + i, TOps.Multiply(TOps.Multiply(TOps.Load(x2 + i), s2), gv));
                Put<TOps, TVec, TStore>(y3 + i, TOps.Multiply(TOps.Multiply(TOps.Load(x3 + i), s3), gv));
            }
        }

        float t0 = TOps.Sum(a0), t1 = TOps.Sum(a1), t2 = TOps.Sum(a2), t3 = TOps.Sum(a3);
        for (; i < n; i++)
        {
            t0 += n0[i] * n0[i];
            t1 += n1[i] * n1[i];
            t2 += n2[i] * n2[i];
            t3 += n3[i] * n3[i];
            if (TScale.Apply)
            {
                float gi = g[i];
                y0[i] = x0[i] * c0 * gi;
                y1[i] = x1[i] * c1 * gi;
                y2[i] = x2[i] * c2 * gi;
                y3[i] = x3[i] * c3 * gi;
            }
        }

        sums[0] = t0;
        sums[1] = t1;
        sums[2] = t2;
        sums[3] = t3;
    }

    /// <summary>Σ x[i]² over n floats, in F32 with four vector accumulators (TensorPrimitives.SumOfSquares ran 8–33%
    /// slower in rmsnorm's loop on one core).</summary>
    public static float SumOfSquares(float* x, int n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return SumOfSquares<Vec512, Vector512<float>>(x, n);
        }

        return Vector256.IsHardwareAccelerated ? SumOfSquares<Vec256, Vector256<float>>(x, n) : SumOfSquares<Vec128, Vector128<float>>(x, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float SumOfSquares<TOps, TVec>(float* x, int n)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count, i = 0;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        for (; i + (4 * w) <= n; i += 4 * w)
        {
            TVec v0 = TOps.Load(x + i), v1 = TOps.Load(x + i + w), v2 = TOps.Load(x + i + (2 * w)), v3 = TOps.Load(x + i + (3 * w));
            a0 = TOps.MulAdd(v0, v0, a0);
            a1 = TOps.MulAdd(v1, v1, a1);
            a2 = TOps.MulAdd(v2, v2, a2);
            a3 = TOps.MulAdd(v3, v3, a3);
        }

        for (; i + w <= n; i += w)
        {
            TVec v = TOps.Load(x + i);
            a0 = TOps.MulAdd(v, v, a0);
        }

        float sum = TOps.Sum(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)));
        for (; i < n; i++)
        {
            sum += x[i] * x[i];
        }

        return sum;
    }

    /// <summary>
    /// y[i] = Σ_j w[j]·rows[j][i] over j in order (a null row contributes nothing), in one pass over the rows
    /// (<paramref name="nonTemporal"/>: aligned stores of y bypass the caches; the caller fences). Up to
    /// <see cref="WeightedRows"/> live rows run as one unrolled chain of four or eight slots with every row pointer and
    /// weight in registers; fewer live rows than slots are padded in front with <paramref name="zeros"/> (at least n zero
    /// floats) at weight 0, which leaves every bit of the sum as it was (the chain starts from +0 either way, and
    /// fma(0, 0, +0) = +0). More live rows take a loop over the rows per vector. The unrolled chains fetch the
    /// <paramref name="nextCount"/> rows at <paramref name="next"/> (the next token's, when the caller has it) into L1
    /// as they go, a line of each for every line of the rows they read: moe-unpermute T=512 H=7168 k=8 on an Intel Xeon
    /// (Ice Lake), A/B in one process against a same-run copy, one core 75 → 79%, 81 → 87%, 77 → 84% (three runs), two
    /// cores 80 → 83% (into L2 instead: 65%; each row's own lines 4 KiB ahead instead: 78 → 73%).
    /// </summary>
    public static void WeightedSum(float** rows, float* w, int count, float* y, int n, bool nonTemporal, float* zeros, float** next = null, int nextCount = 0)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                WeightedSum<Vec512, Vector512<float>, Streamed>(rows, w, count, y, n, zeros, next, nextCount);
            }
            else
            {
                WeightedSum<Vec512, Vector512<float>, Cached>(rows, w, count, y, n, zeros, next, nextCount);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            if (nonTemporal)
            {
                WeightedSum<Vec256, Vector256<float>, Streamed>(rows, w, count, y, n, zeros, next, nextCount);
            }
            else
            {
                WeightedSum<Vec256, Vector256<float>, Cached>(rows, w, count, y, n, zeros, next, nextCount);
            }
        }
        else
        {
            WeightedSum<Vec128, Vector128<float>, Cached>(rows, w, count, y, n, zeros, next, nextCount);
        }
    }

    /// <summary>Rows a weighted sum takes in one unrolled chain (the top-k of DeepSeek-V3 and Qwen3 MoE is 8).</summary>
    public const int WeightedRows = 8;

    /// <summary>
    /// Whether moe-unpermute fetches the next token's rows into L1 while it sums a token's <paramref name="k"/> choices
    /// (<see cref="WeightedSum"/>'s next rows): in the Intel profile of <see cref="CpuTuning"/> always, elsewhere for k ≤ 4 only. With more choices the
    /// fetch doubles the row streams one core reads (sixteen at k = 8), and on an AMD EPYC (Zen 5) that read slower than
    /// the rows alone with the hardware prefetchers: both codes in one process on the same buffers, the fetch's time /
    /// the rows alone (then four vectors a step), T=512 H=7168, one core k = 8 1.34, 1.32, 1.34, k = 6 1.13, k = 5 1.12,
    /// two cores k = 8 1.15, 1.24, 1.18, k = 6 1.06, 1.13, k = 5 1.13; 2048×2048 k = 8 1.08 / 1.18 (one / two cores).
    /// At k = 2 the fetch wins there (its time / none's 0.68–0.90 at H=7168 and 0.54–0.82 at T=4096 H=2048), at k = 4
    /// they measured even. On an Intel Xeon (Ice Lake) the fetch had gained at k = 8 (see <see cref="WeightedSum"/>).
    /// </summary>
    internal static bool FetchesNextToken(int k) => k <= 4 || UnpermuteFetchesAlways;

    /// <summary>Whether moe-unpermute fetches the next token's rows at every k (<see cref="CpuTuning.UnpermuteFetchesAlways"/>; see <see cref="FetchesNextToken"/>).</summary>
    private static readonly bool UnpermuteFetchesAlways = CpuTuning.Current.UnpermuteFetchesAlways;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum<TOps, TVec, TStore>(float** rows, float* w, int count, float* y, int n, float* zeros, float** next, int nextCount)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int live = 0;
        for (int j = 0; j < count; j++)
        {
            live += rows[j] != null ? 1 : 0;
        }

        if (live > WeightedRows)
        {
            WeightedSumLoop<TOps, TVec, TStore>(rows, w, count, y, n);
            return;
        }

        // Four slots for up to four live rows (k = 4: 82% → 93% of a copy against eight slots; k = 2: 71% → 74%).
        if (live <= 4)
        {
            WeightedSumUnrolled<TOps, TVec, TStore, Four>(rows, w, count, live, y, n, zeros, next, nextCount);
        }
        else
        {
            WeightedSumUnrolled<TOps, TVec, TStore, Eight>(rows, w, count, live, y, n, zeros, next, nextCount);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSumUnrolled<TOps, TVec, TStore, TRows>(float** rows, float* w, int count, int live, float* y, int n, float* zeros, float** next, int nextCount)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
        where TRows : struct, ICount
    {
        // The live rows in order after the padding: slots [0, TRows.Value - live) read zeros at weight 0.
        int slots = TRows.Value, slot = slots - live;
        float** r = stackalloc float*[slots];
        float* ws = stackalloc float[slots];
        for (int j = 0; j < slot; j++)
        {
            r[j] = zeros;
            ws[j] = 0;
        }

        for (int j = 0; j < count; j++)
        {
            if (rows[j] != null)
            {
                r[slot] = rows[j];
                ws[slot++] = w[j];
            }
        }

        // Unrolled over all the slots, two vectors a step: measured on one core (moe-unpermute T=512 H=7168 k=8),
        // 79% → 100% of a same-run copy's bandwidth against the loop over the rows; on two cores 74% → 100%.
        float* r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
        float* r4 = slots > 4 ? r[4] : null, r5 = slots > 4 ? r[5] : null, r6 = slots > 4 ? r[6] : null, r7 = slots > 4 ? r[7] : null;
        TVec w0 = TOps.Broadcast(ws[0]), w1 = TOps.Broadcast(ws[1]), w2 = TOps.Broadcast(ws[2]), w3 = TOps.Broadcast(ws[3]);
        TVec w4 = slots > 4 ? TOps.Broadcast(ws[4]) : TOps.Zero, w5 = slots > 4 ? TOps.Broadcast(ws[5]) : TOps.Zero;
        TVec w6 = slots > 4 ? TOps.Broadcast(ws[6]) : TOps.Zero, w7 = slots > 4 ? TOps.Broadcast(ws[7]) : TOps.Zero;
        int width = TOps.Count, i = 0;
        bool fetch = nextCount > 0 && System.Runtime.Intrinsics.X86.Sse.IsSupported;
        if (!fetch)
        {
            // Four vectors a step where nothing is fetched (four chains side by side, each the same sums in the same
            // order as below): moe-unpermute T=512 H=7168 k=8 on the Zen 5, one core, in a kernel harness on the same
            // buffers, 32.8 → 34.2, 34.8 → 35.8 and 31.3 → 34.8 GB/s in three runs, two cores 35.8 → 38.2.
            for (; i + (4 * width) <= n; i += 4 * width)
            {
                int u = i + width, v = i + (2 * width), x = i + (3 * width);
                TVec a = TOps.MulAdd(TOps.Load(r0 + i), w0, TOps.Zero), b = TOps.MulAdd(TOps.Load(r0 + u), w0, TOps.Zero);
                TVec c = TOps.MulAdd(TOps.Load(r0 + v), w0, TOps.Zero), d = TOps.MulAdd(TOps.Load(r0 + x), w0, TOps.Zero);
                a = TOps.MulAdd(TOps.Load(r1 + i), w1, a);
                b = TOps.MulAdd(TOps.Load(r1 + u), w1, b);
                c = TOps.MulAdd(TOps.Load(r1 + v), w1, c);
                d = TOps.MulAdd(TOps.Load(r1 + x), w1, d);
                a = TOps.MulAdd(TOps.Load(r2 + i), w2, a);
                b = TOps.MulAdd(TOps.Load(r2 + u), w2, b);
                c = TOps.MulAdd(TOps.Load(r2 + v), w2, c);
                d = TOps.MulAdd(TOps.Load(r2 + x), w2, d);
                a = TOps.MulAdd(TOps.Load(r3 + i), w3, a);
                b = TOps.MulAdd(TOps.Load(r3 + u), w3, b);
                c = TOps.MulAdd(TOps.Load(r3 + v), w3, c);
                d = TOps.MulAdd(TOps.Load(r3 + x), w3, d);
                if (slots > 4)
                {
                    a = TOps.MulAdd(TOps.Load(r4 + i), w4, a);
                    b = TOps.MulAdd(TOps.Load(r4 + u), w4, b);
                    c = TOps.MulAdd(TOps.Load(r4 + v), w4, c);
                    d = TOps.MulAdd(TOps.Load(r4 + x), w4, d);
                    a = TOps.MulAdd(TOps.Load(r5 + i), w5, a);
                    b = TOps.MulAdd(TOps.Load(r5 + u), w5, b);
                    c = TOps.MulAdd(TOps.Load(r5 + v), w5, c);
                    d = TOps.MulAdd(TOps.Load(r5 + x), w5, d);
                    a = TOps.MulAdd(TOps.Load(r6 + i), w6, a);
                    b = TOps.MulAdd(TOps.Load(r6 + u), w6, b);
                    c = TOps.MulAdd(TOps.Load(r6 + v), w6, c);
                    d = TOps.MulAdd(TOps.Load(r6 + x), w6, d);
                    a = TOps.MulAdd(TOps.Load(r7 + i), w7, a);
                    b = TOps.MulAdd(TOps.Load(r7 + u), w7, b);
                    c = TOps.MulAdd(TOps.Load(r7 + v), w7, c);
                    d = TOps.MulAdd(TOps.Load(r7 + x), w7, d);
                }

                Put<TOps, TVec, TStore>(y + i, a);
                Put<TOps, TVec, TStore>(y + u, b);
                Put<TOps, TVec, TStore>(y + v, c);
                Put<TOps, TVec, TStore>(y + x, d);
            }
        }

        for (; i + (2 * width) <= n; i += 2 * width)
        {
            int u = i + width;
            if (fetch)
            {
                for (int j = 0; j < nextCount; j++)
                {
                    FetchLines(next[j] + i, 2 * width);
                }
            }

            TVec a = TOps.MulAdd(TOps.Load(r0 + i), w0, TOps.Zero), b = TOps.MulAdd(TOps.Load(r0 + u), w0, TOps.Zero);
            a = TOps.MulAdd(TOps.Load(r1 + i), w1, a);
            b = TOps.MulAdd(TOps.Load(r1 + u), w1, b);
            a = TOps.MulAdd(TOps.Load(r2 + i), w2, a);
            b = TOps.MulAdd(TOps.Load(r2 + u), w2, b);
            a = TOps.MulAdd(TOps.Load(r3 + i), w3, a);
            b = TOps.MulAdd(TOps.Load(r3 + u), w3, b);
            if (slots > 4)
            {
                a = TOps.MulAdd(TOps.Load(r4 + i), w4, a);
                b = TOps.MulAdd(TOps.Load(r4 + u), w4, b);
                a = TOps.MulAdd(TOps.Load(r5 + i), w5, a);
                b = TOps.MulAdd(TOps.Load(r5 + u), w5, b);
                a = TOps.MulAdd(TOps.Load(r6 + i), w6, a);
                b = TOps.MulAdd(TOps.Load(r6 + u), w6, b);
                a = TOps.MulAdd(TOps.Load(r7 + i), w7, a);
                b = TOps.MulAdd(TOps.Load(r7 + u), w7, b);
            }

            Put<TOps, TVec, TStore>(y + i, a);
            Put<TOps, TVec, TStore>(y + u, b);
        }

        // The rest (under two vectors) through the same slots, in the same order.
        WeightedSumLoop<TOps, TVec, TStore>(r, ws, slots, y + i, n - i, i);
    }

    /// <summary>y[i] = Σ_j w[j]·rows[j][from + i] over j in order for i &lt; n, one row at a time per vector (a null row contributes nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSumLoop<TOps, TVec, TStore>(float** rows, float* w, int count, float* y, int n, int from = 0)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        int width = TOps.Count, i = 0;
        for (; i + width <= n; i += width)
        {
            TVec acc = TOps.Zero;
            for (int j = 0; j < count; j++)
            {
                if (rows[j] != null)
                {
                    acc = TOps.MulAdd(TOps.Load(rows[j] + from + i), TOps.Broadcast(w[j]), acc);
                }
            }

            Put<TOps, TVec, TStore>(y + i, acc);
        }

        if (i < n)
        {
            WeightedSumTail<TOps, TVec>(rows, w, count, y + i, n - i, from + i);
        }
    }

    /// <summary>
    /// The last partial vector of <see cref="WeightedSumLoop{TOps, TVec, TStore}"/> by the same vector multiply-adds (see
    /// TailIn): without an FMA unit those are a multiply and an add, which MathF.FusedMultiplyAdd there was not (and, in
    /// software, a hundred times slower). A method of its own (its stackalloc).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WeightedSumTail<TOps, TVec>(float** rows, float* w, int count, float* y, int n, int from)
        where TOps : IVecOps<TVec>
        where TVec : struct
    {
        float* t = stackalloc float[MaxLanes];
        TVec acc = TOps.Zero;
        for (int j = 0; j < count; j++)
        {
            if (rows[j] != null)
            {
                TailIn<TOps, TVec>(rows[j] + from, n, t);
                acc = TOps.MulAdd(TOps.Load(t), TOps.Broadcast(w[j]), acc);
            }
        }

        TOps.Store(t, acc);
        TailOut(t, y, n);
    }

    /// <summary>
    /// Whether a kernel multiplies by its scale (a struct parameter, so the unscaled loops carry no multiply): softmax's
    /// scale, and rmsnorm's four-row step, which unscaled only sums its next rows (<see cref="SumsOfSquaresQuad"/>).
    /// </summary>
    private interface IScale
    {
        static abstract bool Apply { get; }
    }

    private readonly struct Scaled : IScale
    {
        public static bool Apply => true;
    }

    private readonly struct Unscaled : IScale
    {
        public static bool Apply => false;
    }

    /// <summary>
    /// How a kernel stores its vectors: through the caches, or around them (aligned addresses only); and, for the
    /// elementwise kernels, in which order (<see cref="SweepDown"/>).
    /// </summary>
    private interface IStore
    {
        static abstract bool NonTemporal { get; }

        static abstract bool Descending { get; }
    }

    private readonly struct Cached : IStore
    {
        public static bool NonTemporal => false;

        public static bool Descending => false;
    }

    private readonly struct Streamed : IStore
    {
        public static bool NonTemporal => true;

        public static bool Descending => false;
    }

    /// <summary>Non-temporal stores, the elementwise kernels walking from the top down.</summary>
    private readonly struct StreamedDown : IStore
    {
        public static bool NonTemporal => true;

        public static bool Descending => true;
    }

    /// <summary>An elementwise binary operation, on vectors and on scalars.</summary>
    private interface IBinary
    {
        static abstract TVec Apply<TOps, TVec>(TVec a, TVec b)
            where TOps : IVecOps<TVec>
            where TVec : struct;

        static abstract float Apply(float a, float b);
    }

    private readonly struct Sum : IBinary
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Apply<TOps, TVec>(TVec a, TVec b)
            where TOps : IVecOps<TVec>
            where TVec : struct => TOps.Add(a, b);

        public static float Apply(float a, float b) => a + b;
    }

    private readonly struct Product : IBinary
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Apply<TOps, TVec>(TVec a, TVec b)
            where TOps : IVecOps<TVec>
            where TVec : struct => TOps.Multiply(a, b);

        public static float Apply(float a, float b) => a * b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TOps, TVec, TStore>(float* p, TVec v)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TStore : struct, IStore
    {
        if (TStore.NonTemporal)
        {
            TOps.StoreNonTemporal(p, v);
        }
        else
        {
            TOps.Store(p, v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Scale<TOps, TVec, TScale>(TVec v, TVec s)
        where TOps : IVecOps<TVec>
        where TVec : struct
        where TScale : struct, IScale => TScale.Apply ? TOps.Multiply(v, s) : v;
}

/// <summary>A softmax row computed but not yet written (see <see cref="CpuFused.SoftmaxRow(float*, float*, int, int, float, float*, float*, ref SoftmaxPending)"/>): its exponentials in a
/// staging row, to be written to <see cref="Y"/> scaled by <see cref="Inv"/>, and zeros from <see cref="Kept"/> to
/// <see cref="Cols"/>. The default value is "none".</summary>
internal readonly unsafe struct SoftmaxPending(float* stage, float* y, int kept, int cols, float inv)
{
    /// <summary>The staged exponentials.</summary>
    public float* Stage { get; } = stage;

    /// <summary>The output row, or null when nothing is pending.</summary>
    public float* Y { get; } = y;

    /// <summary>Columns in the softmax.</summary>
    public int Kept { get; } = kept;

    /// <summary>Columns of the row.</summary>
    public int Cols { get; } = cols;

    /// <summary>1 / the sum of the exponentials.</summary>
    public float Inv { get; } = inv;
}
