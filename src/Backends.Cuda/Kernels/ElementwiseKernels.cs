using ILGPU;
using ILGPU.Algorithms;

namespace Backends.Cuda.Kernels;

/// <summary>
/// The elementwise ops as one grid-stride kernel: thread i handles flat elements i, i + step, ... of n. Every operand
/// carries its row length and stride (equal for a contiguous view), so row-strided views need no second kernel; b of
/// add/mul is read at flat index i mod bn (the broadcast period). F32 math for every dtype.
/// </summary>
internal static class ElementwiseKernels
{
    public const int Silu = 0;
    public const int SwiGlu = 1;
    public const int Add = 2;
    public const int Mul = 3;
    public const int Cast = 4;

    public static void Run(Index1D index, ArrayView<byte> a, ArrayView<byte> b, ArrayView<byte> y, ElementwiseParams p)
    {
        for (long i = index; i < p.N; i += p.Step)
        {
            float va = Numerics.Load(a, p.InType, p.A.At(i));
            float r;
            if (p.Op == Silu)
            {
                r = SiluOf(va);
            }
            else if (p.Op == SwiGlu)
            {
                r = SiluOf(va) * Numerics.Load(b, p.InType, p.B.At(i));
            }
            else if (p.Op == Add)
            {
                r = va + Numerics.Load(b, p.InType, p.B.At(i % p.BCount));
            }
            else if (p.Op == Mul)
            {
                r = va * Numerics.Load(b, p.InType, p.B.At(i % p.BCount));
            }
            else
            {
                r = va;
            }

            Numerics.Store(y, p.OutType, p.Y.At(i), r);
        }
    }

    /// <summary>Fills n elements of width 1, 2 or 4 bytes with one pattern.</summary>
    public static void Fill(Index1D index, ArrayView<byte> v, long n, long step, int width, uint value)
    {
        for (long i = index; i < n; i += step)
        {
            if (width == 4)
            {
                v.Cast<uint>()[i] = value;
            }
            else if (width == 2)
            {
                v.Cast<ushort>()[i] = (ushort)value;
            }
            else
            {
                v[i] = (byte)value;
            }
        }
    }

    /// <summary>x·σ(x) as x / (1 + e⁻ˣ): silu(+∞) = +∞, silu(−∞) = NaN (IEEE), NaN stays NaN.</summary>
    private static float SiluOf(float x)
    {
        // The infinities are decided here: XMath.Exp's range reduction is not specified for ±∞.
        if (x > float.MaxValue)
        {
            return x;
        }

        if (x < -float.MaxValue)
        {
            return float.NaN;
        }

        return x / (1f + XMath.Exp(-x));
    }
}

/// <summary>Where a view's elements lie in its buffer: offset, row length and row stride (equal when contiguous).</summary>
internal readonly struct ViewLayout
{
    public readonly long Offset;
    public readonly long Length;
    public readonly long Stride;

    public ViewLayout(long offset, long length, long stride)
    {
        Offset = offset;
        Length = length;
        Stride = stride;
    }

    /// <summary>The element index of flat element i.</summary>
    public long At(long i) => Offset + Numerics.Map(i, Length, Stride);
}

/// <summary>The scalars of one elementwise launch (ILGPU kernels take a bounded number of parameters).</summary>
internal readonly struct ElementwiseParams
{
    public readonly ViewLayout A;
    public readonly ViewLayout B;
    public readonly ViewLayout Y;
    public readonly long BCount;
    public readonly long N;
    public readonly long Step;
    public readonly int Op;
    public readonly int InType;
    public readonly int OutType;

    public ElementwiseParams(ViewLayout a, ViewLayout b, ViewLayout y, long bCount, long n, long step, int op, int inType, int outType)
    {
        A = a;
        B = b;
        Y = y;
        BCount = bCount;
        N = n;
        Step = step;
        Op = op;
        InType = inType;
        OutType = outType;
    }
}
