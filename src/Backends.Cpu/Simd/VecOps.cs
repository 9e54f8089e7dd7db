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
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);
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
    public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> v) => Vector128.Sum(v);
}
