using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backends.Cpu;

/// <summary>The few vector operations the GEMM micro-kernel needs, over one vector width (so one generic kernel serves 128, 256 and 512 bits).</summary>
/// <typeparam name="TVec">The vector type.</typeparam>
internal unsafe interface IVecOps<TVec>
    where TVec : struct
{
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(float* p);

    static abstract void Store(float* p, TVec v);

    static abstract TVec Broadcast(float v);

    static abstract TVec MulAdd(TVec a, TVec b, TVec c);

    static abstract TVec Add(TVec a, TVec b);

    static abstract float Sum(TVec v);

    static abstract TVec Multiply(TVec a, TVec b);

    static abstract TVec Subtract(TVec a, TVec b);

    static abstract TVec Divide(TVec a, TVec b);

    /// <summary>The raw max instruction: with a NaN operand either operand may come back (callers that care check NaN otherwise).</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>v with every NaN lane replaced by −∞.</summary>
    static abstract TVec NanToNegativeInfinity(TVec v);

    /// <summary>e^v within 2 ulps (<see cref="ExpPolynomial"/>), in about 12 vector instructions on AVX-512: IEEE at the edges (+∞ → +∞, −∞ → 0, NaN → NaN, overflow → +∞, tiny → 0 or subnormal).</summary>
    static abstract TVec FastExp(TVec v);

    /// <summary>
    /// e^v for v ≤ 0 or NaN (softmax's x − max), two vector instructions fewer than <see cref="FastExp"/>'s 12 on
    /// AVX-512: no clamp at the top of the range, which no such v reaches, and r = v − n·ln 2 in one step with ln 2
    /// rounded to float (where a fused multiply-add is: always with AVX-512), which adds |n|·1.9e−9 to r's error:
    /// within 2.5 ulps for v ≥ −20, 5 ulps below (there e^v is under 2e−9 of the row's largest term, far below a float
    /// sum's own rounding). With 256- and 128-bit vectors 2^n is also one multiply by 2^(n+32) and one by 2^−32, where
    /// FastExp takes two halves of n. The edges as FastExp's (−∞ → 0, NaN → NaN, tiny → 0 or subnormal). A positive v may come
    /// out wrong. Measured here, one core: the exp sweep in C 1.60 → 1.41–1.45 ns a vector; a softmax row's compute,
    /// A/B in one process, 12–14% less time without the top clamp, then 8–10% less with the one-step reduction
    /// (2048×4096 from memory: 10–12%, then 3–5%).
    /// </summary>
    static abstract TVec FastExpNonPositive(TVec v);

    /// <summary>
    /// 1 + <see cref="FastExp"/>(−v), bit for bit (sigmoid's and silu's denominator). On AVX-512 the exp's steps run on
    /// v itself, each value the exact negation of the one FastExp(−v) computes, so no negation comes first: one vector
    /// instruction fewer of about 14 in silu.
    /// </summary>
    static abstract TVec OnePlusExpOfNegated(TVec v);

    /// <summary>
    /// The largest lane, by a few swap-and-max steps on x86. When a lane is NaN the result is NaN or the largest of the
    /// other lanes, and between −0 and +0 either may come out: callers must not depend on either (softmax does not: a
    /// NaN in its row makes the sum, and so the row, NaN whatever the max is; the router's keys hold no NaN).
    /// </summary>
    static abstract float MaxAcross(TVec v);

    static abstract void StoreNonTemporal(float* p, TVec v);

    /// <summary>
    /// <see cref="StoreNonTemporal"/> for a p the caller knows to be aligned to the vector's size: no alignment test
    /// (a plain store where the vector width has no non-temporal store).
    /// </summary>
    static abstract void StoreNonTemporalAligned(float* p, TVec v);
}

/// <summary>512-bit vectors (AVX-512).</summary>
internal readonly unsafe struct Vec512 : IVecOps<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector512<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float v) => Vector512.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NanToNegativeInfinity(Vector512<float> v) =>
        Vector512.ConditionalSelect(Vector512.Equals(v, v), v, Vector512.Create(float.NegativeInfinity));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FastExp(Vector512<float> v) => Exp(v, nonPositive: false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FastExpNonPositive(Vector512<float> v) => Exp(v, nonPositive: true);

    /// <summary>
    /// 2^(x·k + c) for x·k + c ≤ about 0 (or NaN; −∞ gives 0), with one FMA forming the exponent u: n = ⌊u⌋, 2^(u − n)
    /// by <see cref="Exp2Polynomial"/> on [0, 1), 2^n applied by VSCALEFPS (denormal results rounded correctly). u is
    /// clamped below at −151 (every 2^u under it rounds to 0) by a raw VMAXPS with the bound first, which passes a NaN
    /// on. Ten vector operations where e^(x·scale − max) by <see cref="FastExpNonPositive"/> takes twelve (thirteen
    /// scaled): softmax's exp sweep (see CpuFused.SoftmaxExp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2Fma(Vector512<float> x, Vector512<float> k, Vector512<float> c)
    {
        Vector512<float> u = System.Runtime.Intrinsics.X86.Avx512F.Max(Vector512.Create(-151f), Vector512.FusedMultiplyAdd(x, k, c));
        Vector512<float> n = Vector512.Floor(u);
        Vector512<float> g = u - n;
        Vector512<float> p = Vector512.Create(Exp2Polynomial.C5);
        p = Vector512.FusedMultiplyAdd(p, g, Vector512.Create(Exp2Polynomial.C4));
        p = Vector512.FusedMultiplyAdd(p, g, Vector512.Create(Exp2Polynomial.C3));
        p = Vector512.FusedMultiplyAdd(p, g, Vector512.Create(Exp2Polynomial.C2));
        p = Vector512.FusedMultiplyAdd(p, g, Vector512.Create(Exp2Polynomial.C1));
        p = Vector512.FusedMultiplyAdd(p, g, Vector512.Create(1.0f));
        return System.Runtime.Intrinsics.X86.Avx512F.Scale(p, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> OnePlusExpOfNegated(Vector512<float> v)
    {
        // Exp(−v) step by step, every value negated: the clamp of −v to [−110, 88.8] is that of v to [−88.8, 110] (raw
        // VMINPS/VMAXPS with the bound first pass a NaN through), n = round(v·(−log2 e)) is the same n, r' = v + n·ln 2 is
        // −r, and Horner's steps on r' with C4, C2 and 1 negated give the odd steps' values negated and the even ones'
        // as they are, so q = −p and 1 − q·2^n = 1 + p·2^n exactly.
        Vector512<float> x = System.Runtime.Intrinsics.X86.Avx512F.Max(Vector512.Create(-88.8f), System.Runtime.Intrinsics.X86.Avx512F.Min(Vector512.Create(110f), v));
        Vector512<float> n = Vector512.Round(x * Vector512.Create(-1.44269504f));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(0.693145752f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(1.42860677e-6f), r);
        Vector512<float> q = Vector512.FusedMultiplyAdd(Vector512.Create(ExpPolynomial.C5), r, Vector512.Create(-ExpPolynomial.C4));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(ExpPolynomial.C3));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(-ExpPolynomial.C2));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(ExpPolynomial.C1));
        q = Vector512.FusedMultiplyAdd(q, r, Vector512.Create(-1.0f));
        return Vector512.Create(1.0f) - System.Runtime.Intrinsics.X86.Avx512F.Scale(q, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> v, bool nonPositive)
    {
        // e^x = 2^n · e^r, n = round(x·log2 e), r = x − n·ln 2 (in two parts), e^r by ExpPolynomial, and 2^n
        // applied by VSCALEFPS, which rounds a denormal result correctly, overflows to +∞ and underflows to 0 by
        // itself: x is clamped to [−110, 88.8] (e^−110 rounds to 0; p·2^128 > FLT_MAX at 88.8), so −∞ → 0 and
        // +∞ → +∞ with no select. The clamps are the raw VMAXPS/VMINPS with the bound first: when either operand is
        // NaN they return the second, so a NaN passes both clamps and every later step as NaN, with no select.
        // For v ≤ 0 (nonPositive, see IVecOps.FastExpNonPositive): no top clamp, and r in one step.
        Vector512<float> x = System.Runtime.Intrinsics.X86.Avx512F.Max(Vector512.Create(-110f), v);
        if (!nonPositive)
        {
            x = System.Runtime.Intrinsics.X86.Avx512F.Min(Vector512.Create(88.8f), x);
        }

        Vector512<float> n = Vector512.Round(x * Vector512.Create(1.44269504f));
        Vector512<float> r;
        if (nonPositive)
        {
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693147182f), x);
        }
        else
        {
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693145752f), x);
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);
        }

        Vector512<float> p = Vector512.Create(ExpPolynomial.C5);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.C4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.C3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.C2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.C1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.0f));
        return System.Runtime.Intrinsics.X86.Avx512F.Scale(p, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector512<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            // Four swap-and-max steps: halves, quarters, pairs, neighbours (raw VMAXPS; see IVecOps.MaxAcross on NaN).
            v = Vector512.MaxNative(v, System.Runtime.Intrinsics.X86.Avx512F.Shuffle4x128(v, v, 0x4E));
            v = Vector512.MaxNative(v, System.Runtime.Intrinsics.X86.Avx512F.Shuffle4x128(v, v, 0xB1));
            v = Vector512.MaxNative(v, System.Runtime.Intrinsics.X86.Avx512F.Permute4x32(v, 0x4E));
            return Vector512.MaxNative(v, System.Runtime.Intrinsics.X86.Avx512F.Permute4x32(v, 0xB1)).ToScalar();
        }

        float m = v.GetElement(0);
        for (int i = 1; i < Vector512<float>.Count; i++)
        {
            m = System.MathF.Max(m, v.GetElement(i));
        }

        return m;
    }

    /// <summary>A store that bypasses the caches, p 64-byte aligned (the caller checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporalAligned(float* p, Vector512<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Avx512F.StoreAlignedNonTemporal(p, v);
        }
        else
        {
            v.Store(p);
        }
    }

    /// <summary>A store that bypasses the caches when p is aligned (large outputs not read again soon), else a plain store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(float* p, Vector512<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && ((nint)p & 63) == 0)
        {
            System.Runtime.Intrinsics.X86.Avx512F.StoreAlignedNonTemporal(p, v);
        }
        else
        {
            v.Store(p);
        }
    }
}

/// <summary>256-bit vectors (AVX2/FMA).</summary>
internal readonly unsafe struct Vec256 : IVecOps<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector256<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float v) => Vector256.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? Vector256.FusedMultiplyAdd(a, b, c) : (a * b) + c; // no FMA unit: not the software fused fallback

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NanToNegativeInfinity(Vector256<float> v) =>
        Vector256.ConditionalSelect(Vector256.Equals(v, v), v, Vector256.Create(float.NegativeInfinity));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FastExp(Vector256<float> v) => Exp(v, nonPositive: false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FastExpNonPositive(Vector256<float> v) => Exp(v, nonPositive: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> OnePlusExpOfNegated(Vector256<float> v) => Vector256.Create(1.0f) + FastExp(Vector256<float>.Zero - v);

    /// <summary>max(bound, v) by the raw max instruction with the bound first, which returns its second operand when either is NaN: a NaN v comes back as NaN (IEEE's max elsewhere, which keeps NaN too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ClampLow(Vector256<float> v, float bound) =>
        System.Runtime.Intrinsics.X86.Avx.IsSupported ? System.Runtime.Intrinsics.X86.Avx.Max(Vector256.Create(bound), v) : Vector256.Max(Vector256.Create(bound), v);

    /// <summary>min(bound, v), a NaN v kept as NaN (see <see cref="ClampLow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ClampHigh(Vector256<float> v, float bound) =>
        System.Runtime.Intrinsics.X86.Avx.IsSupported ? System.Runtime.Intrinsics.X86.Avx.Min(Vector256.Create(bound), v) : Vector256.Min(Vector256.Create(bound), v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp(Vector256<float> v, bool nonPositive)
    {
        // e^x = 2^n · e^r, n = round(x·log2 e), r = x − n·ln 2 (in two parts), e^r by ExpPolynomial. x is clamped to
        // [−110, 88.8] (e^−110 rounds to 0; p·2^128 > FLT_MAX at 88.8), so −∞ → 0 and +∞ → +∞ with no select, by
        // the raw max and min instructions with the bound first: when either operand is NaN they return the second, so
        // a NaN passes both clamps and every later step as NaN (ClampLow, ClampHigh).
        // For v ≤ 0 (nonPositive, see IVecOps.FastExpNonPositive) no top clamp, and r in one step where FMA is.
        Vector256<float> x = ClampLow(v, -110f);
        if (!nonPositive)
        {
            x = ClampHigh(x, 88.8f);
        }

        // n by the adder's own rounding: the rounded x·log2 e plus 1.5·2^23 lands in [2^23, 2^24) (|x·log2 e| ≤ 159),
        // where the floats are the integers, so the sum is x·log2 e rounded to nearest even, as a round instruction
        // gives it, and t's low mantissa bits hold n + 2^22. (No fused multiply-add here: its unrounded product could
        // round to the other n near a tie.) Against a round and a conversion to integer, one core, 256-bit exps in L1:
        // 0.54 → 0.39 ns an element with the selects gone too (the clamps' order keeps NaN, and −∞ and tiny x reach 0
        // through the scaling).
        Vector256<float> t = (x * Vector256.Create(1.44269504f)) + Vector256.Create(ExpPolynomial.RoundingMagic);
        Vector256<float> n = t - Vector256.Create(ExpPolynomial.RoundingMagic);
        Vector256<float> r;
        if (nonPositive && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            // One step only with a fused multiply-add (rounded separately, n·ln 2 would lose r's low bits).
            r = MulAdd(n, Vector256.Create(-0.693147182f), x);
        }
        else
        {
            r = MulAdd(n, Vector256.Create(-0.693145752f), x);
            r = MulAdd(n, Vector256.Create(-1.42860677e-6f), r);
        }

        Vector256<float> p = Vector256.Create(ExpPolynomial.C5);
        p = MulAdd(p, r, Vector256.Create(ExpPolynomial.C4));
        p = MulAdd(p, r, Vector256.Create(ExpPolynomial.C3));
        p = MulAdd(p, r, Vector256.Create(ExpPolynomial.C2));
        p = MulAdd(p, r, Vector256.Create(ExpPolynomial.C1));
        p = MulAdd(p, r, Vector256.Create(1.0f));
        if (nonPositive)
        {
            // n in −159..0: 2^(n+32) is a normal float (or +0 at n = −159, where e^x rounds to 0 anyway), built from t's
            // bits by one subtraction (n + 159 is its biased exponent) and a shift; p·2^(n+32) is exact, and the last
            // multiply by 2^−32 rounds a subnormal result once, correctly.
            Vector256<float> s = Vector256.ShiftLeft(t.AsInt32() - Vector256.Create(ExpPolynomial.RoundingMagicBits - 159), 23).AsSingle();
            return p * s * Vector256.Create(2.32830644e-10f);
        }

        // n in −159..128: 2^n as 2^n1 · 2^n2 (n1 = ⌊n/2⌋, n2 = n − n1), so every n of the range stays a normal float;
        // above ln(FLT_MAX) the product overflows to +∞ by itself. Both biased exponents come from b = n + 254 (t's bits
        // less one constant): n1 + 127 = b >> 1 and n2 + 127 = b − (b >> 1) (b in 95..382, both in 47..191).
        Vector256<int> b = t.AsInt32() - Vector256.Create(ExpPolynomial.RoundingMagicBits - 254);
        Vector256<int> h = Vector256.ShiftRightArithmetic(b, 1);
        Vector256<float> s1 = Vector256.ShiftLeft(h, 23).AsSingle();
        Vector256<float> s2 = Vector256.ShiftLeft(b - h, 23).AsSingle();
        return p * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector256<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            // Three swap-and-max steps: halves, pairs, neighbours (raw VMAXPS; see IVecOps.MaxAcross on NaN).
            v = Vector256.MaxNative(v, System.Runtime.Intrinsics.X86.Avx.Permute2x128(v, v, 0x01));
            v = Vector256.MaxNative(v, System.Runtime.Intrinsics.X86.Avx.Permute(v, 0x4E));
            return Vector256.MaxNative(v, System.Runtime.Intrinsics.X86.Avx.Permute(v, 0xB1)).ToScalar();
        }

        float m = v.GetElement(0);
        for (int i = 1; i < Vector256<float>.Count; i++)
        {
            m = System.MathF.Max(m, v.GetElement(i));
        }

        return m;
    }

    /// <summary>A store that bypasses the caches, p 32-byte aligned (the caller checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporalAligned(float* p, Vector256<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(p, v);
        }
        else
        {
            v.Store(p);
        }
    }

    /// <summary>A store that bypasses the caches when p is aligned (large outputs not read again soon), else a plain store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(float* p, Vector256<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported && ((nint)p & 31) == 0)
        {
            System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(p, v);
        }
        else
        {
            v.Store(p);
        }
    }
}

/// <summary>128-bit vectors (SSE, NEON).</summary>
internal readonly unsafe struct Vec128 : IVecOps<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* p, Vector128<float> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float v) => Vector128.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported
            ? Vector128.FusedMultiplyAdd(a, b, c)
            : (a * b) + c; // no FMA unit: not the software fused fallback, which is a hundred times slower

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> v) => Vector128.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> NanToNegativeInfinity(Vector128<float> v) =>
        Vector128.ConditionalSelect(Vector128.Equals(v, v), v, Vector128.Create(float.NegativeInfinity));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FastExp(Vector128<float> v) => Exp(v, nonPositive: false);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FastExpNonPositive(Vector128<float> v) => Exp(v, nonPositive: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> OnePlusExpOfNegated(Vector128<float> v) => Vector128.Create(1.0f) + FastExp(Vector128<float>.Zero - v);

    /// <summary>max(bound, v) by the raw max instruction with the bound first (x86 returns its second operand when either is NaN; Arm's FMAX returns NaN): a NaN v comes back as NaN (IEEE's max elsewhere, which keeps NaN too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ClampLow(Vector128<float> v, float bound) =>
        System.Runtime.Intrinsics.X86.Sse.IsSupported ? System.Runtime.Intrinsics.X86.Sse.Max(Vector128.Create(bound), v)
        : System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? System.Runtime.Intrinsics.Arm.AdvSimd.Max(Vector128.Create(bound), v)
        : Vector128.Max(Vector128.Create(bound), v);

    /// <summary>min(bound, v), a NaN v kept as NaN (see <see cref="ClampLow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ClampHigh(Vector128<float> v, float bound) =>
        System.Runtime.Intrinsics.X86.Sse.IsSupported ? System.Runtime.Intrinsics.X86.Sse.Min(Vector128.Create(bound), v)
        : System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? System.Runtime.Intrinsics.Arm.AdvSimd.Min(Vector128.Create(bound), v)
        : Vector128.Min(Vector128.Create(bound), v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Exp(Vector128<float> v, bool nonPositive)
    {
        // e^x = 2^n · e^r, n = round(x·log2 e), r = x − n·ln 2 (in two parts), e^r by ExpPolynomial. x is clamped to
        // [−110, 88.8] (e^−110 rounds to 0; p·2^128 > FLT_MAX at 88.8), so −∞ → 0 and +∞ → +∞ with no select, by
        // the raw max and min instructions with the bound first: when either operand is NaN they return the second, so
        // a NaN passes both clamps and every later step as NaN (ClampLow, ClampHigh).
        // For v ≤ 0 (nonPositive, see IVecOps.FastExpNonPositive) no top clamp, and r in one step where FMA is.
        Vector128<float> x = ClampLow(v, -110f);
        if (!nonPositive)
        {
            x = ClampHigh(x, 88.8f);
        }

        // n by the adder's own rounding: the rounded x·log2 e plus 1.5·2^23 lands in [2^23, 2^24) (|x·log2 e| ≤ 159),
        // where the floats are the integers, so the sum is x·log2 e rounded to nearest even, as a round instruction
        // gives it, and t's low mantissa bits hold n + 2^22. (No fused multiply-add here: its unrounded product could
        // round to the other n near a tie.) Against a round and a conversion to integer, one core, 256-bit exps in L1:
        // 0.54 → 0.39 ns an element with the selects gone too (the clamps' order keeps NaN, and −∞ and tiny x reach 0
        // through the scaling).
        Vector128<float> t = (x * Vector128.Create(1.44269504f)) + Vector128.Create(ExpPolynomial.RoundingMagic);
        Vector128<float> n = t - Vector128.Create(ExpPolynomial.RoundingMagic);
        Vector128<float> r;
        if (nonPositive && (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported))
        {
            // One step only with a fused multiply-add (rounded separately, n·ln 2 would lose r's low bits).
            r = MulAdd(n, Vector128.Create(-0.693147182f), x);
        }
        else
        {
            r = MulAdd(n, Vector128.Create(-0.693145752f), x);
            r = MulAdd(n, Vector128.Create(-1.42860677e-6f), r);
        }

        Vector128<float> p = Vector128.Create(ExpPolynomial.C5);
        p = MulAdd(p, r, Vector128.Create(ExpPolynomial.C4));
        p = MulAdd(p, r, Vector128.Create(ExpPolynomial.C3));
        p = MulAdd(p, r, Vector128.Create(ExpPolynomial.C2));
        p = MulAdd(p, r, Vector128.Create(ExpPolynomial.C1));
        p = MulAdd(p, r, Vector128.Create(1.0f));
        if (nonPositive)
        {
            // n in −159..0: 2^(n+32) is a normal float (or +0 at n = −159, where e^x rounds to 0 anyway), built from t's
            // bits by one subtraction (n + 159 is its biased exponent) and a shift; p·2^(n+32) is exact, and the last
            // multiply by 2^−32 rounds a subnormal result once, correctly.
            Vector128<float> s = Vector128.ShiftLeft(t.AsInt32() - Vector128.Create(ExpPolynomial.RoundingMagicBits - 159), 23).AsSingle();
            return p * s * Vector128.Create(2.32830644e-10f);
        }

        // n in −159..128: 2^n as 2^n1 · 2^n2 (n1 = ⌊n/2⌋, n2 = n − n1), so every n of the range stays a normal float;
        // above ln(FLT_MAX) the product overflows to +∞ by itself. Both biased exponents come from b = n + 254 (t's bits
        // less one constant): n1 + 127 = b >> 1 and n2 + 127 = b − (b >> 1) (b in 95..382, both in 47..191).
        Vector128<int> b = t.AsInt32() - Vector128.Create(ExpPolynomial.RoundingMagicBits - 254);
        Vector128<int> h = Vector128.ShiftRightArithmetic(b, 1);
        Vector128<float> s1 = Vector128.ShiftLeft(h, 23).AsSingle();
        Vector128<float> s2 = Vector128.ShiftLeft(b - h, 23).AsSingle();
        return p * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> v)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            // Two swap-and-max steps: pairs, neighbours (raw MAXPS; see IVecOps.MaxAcross on NaN).
            v = Vector128.MaxNative(v, System.Runtime.Intrinsics.X86.Sse.Shuffle(v, v, 0x4E));
            return Vector128.MaxNative(v, System.Runtime.Intrinsics.X86.Sse.Shuffle(v, v, 0xB1)).ToScalar();
        }

        float m = v.GetElement(0);
        for (int i = 1; i < Vector128<float>.Count; i++)
        {
            m = System.MathF.Max(m, v.GetElement(i));
        }

        return m;
    }

    /// <summary>A store that bypasses the caches when p is aligned (large outputs not read again soon), else a plain store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporal(float* p, Vector128<float> v)
    {
        v.Store(p);
    }

    /// <summary>A plain store (see <see cref="StoreNonTemporal"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreNonTemporalAligned(float* p, Vector128<float> v)
    {
        v.Store(p);
    }
}

/// <summary>
/// The polynomial of every vectorised exp here: e^r ≈ 1 + C1·r + C2·r² + … + C5·r⁵ on the reduced range
/// |r| ≤ ln 2 / 2, a degree-5 fit of the relative error (minimax-weighted; float64 error 9.1e-8). Evaluated in
/// float32 by Horner's rule after the two-part reduction, e^x is within 1.4 × 2⁻²³ relative of the true value and
/// within 2.0 ulps of the correctly rounded float (mean 0.61 ulp; 8 million random x in [−87, 88]), where the degree-7
/// Taylor series it replaced was within 1.0 ulp (mean 0.06). The same degree as XNNPACK's rr2-p5 and oneDNN's exp
/// kernels. Two FMAs fewer on the exp's dependency chain: on a 4096-float row in L1, one Zen 5 core, the silu kernel
/// went from 10.6 to 8.3 cycles a vector and the softmax row kernel from 12.5 to 10.1 (cycles at 3.5 GHz).
/// </summary>
internal static class ExpPolynomial
{
    /// <summary>1.5·2^23: added to a float of magnitude below 2^22, the sum is that float rounded to an integer (to nearest even), held in the sum's low mantissa bits (see the 256- and 128-bit exps).</summary>
    public const float RoundingMagic = 12582912f;

    /// <summary>The bits of <see cref="RoundingMagic"/>: a sum's bits minus these are the integer it holds.</summary>
    public const int RoundingMagicBits = 0x4B400000;

    public const float C1 = 0.9999997019767761f;
    public const float C2 = 0.4999915063381195f;
    public const float C3 = 0.1666763573884964f;
    public const float C4 = 0.04189793020486832f;
    public const float C5 = 0.008290315046906471f;
}

/// <summary>
/// 2^g ≈ 1 + C1·g + … + C5·g⁵ on [0, 1) (<see cref="Vec512.Exp2Fma"/>): the degree-5 minimax fit of the relative
/// error with the constant term held at 1, so that 2^n is exact for integer n (Remez exchange in float64: 8.2e-8),
/// evaluated in float32 by Horner's rule within 2.3 ulps of the correctly rounded float (mean 0.66 ulp; 2 million
/// random g), about as <see cref="ExpPolynomial"/> is on its range: [0, 1) in the base-2 exponent is as wide as that
/// polynomial's [−ln 2 / 2, ln 2 / 2] in the natural one.
/// </summary>
internal static class Exp2Polynomial
{
    public const float C1 = 0.6931513f;
    public const float C2 = 0.24016444f;
    public const float C3 = 0.055799913f;
    public const float C4 = 0.009017031f;
    public const float C5 = 0.00186713f;
}
