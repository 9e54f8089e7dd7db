using ILGPU;
using ILGPU.Algorithms;

namespace Backends.Cuda.Kernels;

/// <summary>
/// Row ops: one warp per row (a group of one warp), the row walked by the lanes and reduced with warp shuffles, so
/// no shared memory and no group barrier is needed; rows are spread over the grid with a grid-stride loop. Rows of the
/// last dimension lie inside one row of a (row-strided) view, so a row's first element is mapped once.
/// </summary>
internal static class RowKernels
{
    /// <summary>Max-subtracted softmax with scale and causal mask (see <c>IKernels.Softmax</c>).</summary>
    public static void Softmax(ArrayView<byte> x, ArrayView<byte> y, SoftmaxParams p)
    {
        int lane = Group.IdxX;
        for (long row = Grid.IdxX; row < p.Rows; row += Grid.DimX)
        {
            long bx = p.X.At(row * p.Cols), by = p.Y.At(row * p.Cols);
            int kept = p.Cols;
            if (p.Causal != 0)
            {
                long k = (row % p.QueryRows) + p.Cols - p.QueryRows + 1;
                kept = (int)(k < 0 ? 0 : k > p.Cols ? p.Cols : k);
            }

            // The max skips NaN (comparisons are false), but exp(NaN − m) then makes the sum NaN: the row is NaN, as the
            // contract says; +∞ gives ∞ − ∞ = NaN the same way.
            float m = float.NegativeInfinity;
            for (int j = lane; j < kept; j += Group.DimX)
            {
                float v = p.Scale * Numerics.Load(x, p.InType, bx + j);
                m = v > m ? v : m;
            }

            m = Warps.Max(m);
            float s = 0f;
            for (int j = lane; j < kept; j += Group.DimX)
            {
                s += XMath.Exp(Exponent(p.Scale * Numerics.Load(x, p.InType, bx + j), m));
            }

            float inv = 1f / Warps.Sum(s);
            for (int j = lane; j < p.Cols; j += Group.DimX)
            {
                float v = j < kept ? XMath.Exp(Exponent(p.Scale * Numerics.Load(x, p.InType, bx + j), m)) * inv : 0f;
                Numerics.Store(y, p.OutType, by + j, v);
            }
        }
    }

    /// <summary>
    /// scale·x − max, exactly 0 where scale·x is the row's maximum (NaN kept: the comparison is false). ILGPU emits
    /// <c>mul.f32</c> and <c>sub.f32</c> without a rounding mode, which ptxas may fuse into one fma: the maximum then gets
    /// minus the rounding error of scale·x instead of 0, and for a huge |scale·x| (1e20) that is ±1e13: exp of it is ∞
    /// (a NaN row) or 0 (a row whose largest weights vanish). The comparison is on the rounded product, as the max was
    /// taken. Any other element's rounded product lies below the max, and its exact product is within half a gap of
    /// the rounded one, so still below the max: its exponent stays negative with or without the fma. An infinite max
    /// keeps the subtraction: ∞ − ∞ is NaN, which makes the row NaN as the contract says (a +∞ in the row, or a row of
    /// only −∞).
    /// </summary>
    private static float Exponent(float scaled, float max) =>
        scaled >= max && max > float.NegativeInfinity && max < float.PositiveInfinity ? 0f : scaled - max;

    /// <summary>y = x / sqrt(mean(x²) + eps) · gamma per row.</summary>
    public static void RmsNorm(ArrayView<byte> x, ArrayView<byte> gamma, ArrayView<byte> y, RmsNormParams p)
    {
        int lane = Group.IdxX;
        for (long row = Grid.IdxX; row < p.Rows; row += Grid.DimX)
        {
            long bx = p.X.At(row * p.Cols), by = p.Y.At(row * p.Cols);
            float ss = 0f;
            for (int j = lane; j < p.Cols; j += Group.DimX)
            {
                float v = Numerics.Load(x, p.Type, bx + j);
                ss += v * v;
            }

            float inv = 1f / XMath.Sqrt((Warps.Sum(ss) / p.Cols) + p.Eps);
            for (int j = lane; j < p.Cols; j += Group.DimX)
            {
                float v = Numerics.Load(x, p.Type, bx + j) * inv * Numerics.Load(gamma, p.Type, p.GammaOffset + j);
                Numerics.Store(y, p.Type, by + j, v);
            }
        }
    }
}

/// <summary>Warp reductions whose result every lane receives.</summary>
internal static class Warps
{
    public static float Sum(float v)
    {
        for (int off = Warp.WarpSize / 2; off > 0; off /= 2)
        {
            v += Warp.ShuffleDown(v, off);
        }

        return Warp.Shuffle(v, 0);
    }

    public static float Max(float v)
    {
        for (int off = Warp.WarpSize / 2; off > 0; off /= 2)
        {
            float o = Warp.ShuffleDown(v, off);
            v = o > v ? o : v;
        }

        return Warp.Shuffle(v, 0);
    }
}

/// <summary>The scalars of one softmax launch.</summary>
internal readonly struct SoftmaxParams
{
    public readonly ViewLayout X;
    public readonly ViewLayout Y;
    public readonly long Rows;
    public readonly int Cols;
    public readonly int QueryRows;
    public readonly float Scale;
    public readonly int Causal;
    public readonly int InType;
    public readonly int OutType;

    public SoftmaxParams(ViewLayout x, ViewLayout y, long rows, int cols, int queryRows, float scale, int causal, int inType, int outType)
    {
        X = x;
        Y = y;
        Rows = rows;
        Cols = cols;
        QueryRows = queryRows;
        Scale = scale;
        Causal = causal;
        InType = inType;
        OutType = outType;
    }
}

/// <summary>The scalars of one RMS-norm launch.</summary>
internal readonly struct RmsNormParams
{
    public readonly ViewLayout X;
    public readonly ViewLayout Y;
    public readonly long GammaOffset;
    public readonly long Rows;
    public readonly int Cols;
    public readonly float Eps;
    public readonly int Type;

    public RmsNormParams(ViewLayout x, ViewLayout y, long gammaOffset, long rows, int cols, float eps, int type)
    {
        X = x;
        Y = y;
        GammaOffset = gammaOffset;
        Rows = rows;
        Cols = cols;
        Eps = eps;
        Type = type;
    }
}
