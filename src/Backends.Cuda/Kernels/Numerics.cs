using ILGPU;

namespace Backends.Cuda.Kernels;

/// <summary>
/// Device-side number formats: F16 and BF16 are stored as ushort bits and converted by hand (round to nearest, ties to
/// even; NaN kept, made quiet; overflow to ±∞), so every device and the emulator round exactly alike. Loads and stores
/// address a byte view by element index for dtype codes 0 = F32, 1 = F16, 2 = BF16.
/// </summary>
internal static class Numerics
{
    public const int F32 = 0;
    public const int F16 = 1;
    public const int BF16 = 2;

    /// <summary>The dtype code of a dtype (F32, F16, BF16).</summary>
    public static int Code(DType t) => t switch
    {
        DType.F32 => F32,
        DType.F16 => F16,
        DType.BF16 => BF16,
        _ => throw new System.NotSupportedException($"No CUDA kernel storage for {t}."),
    };

    /// <summary>Where flat element i of a view lies: rows of len elements, stride apart (len = stride when contiguous).</summary>
    public static long Map(long i, long len, long stride) => ((i / len) * stride) + (i % len);

    public static float Load(ArrayView<byte> v, int type, long index)
    {
        if (type == F32)
        {
            return v.Cast<float>()[index];
        }

        ushort bits = v.Cast<ushort>()[index];
        return type == F16 ? HalfToFloat(bits) : Interop.IntAsFloat((uint)bits << 16);
    }

    public static void Store(ArrayView<byte> v, int type, long index, float value)
    {
        if (type == F32)
        {
            v.Cast<float>()[index] = value;
        }
        else
        {
            v.Cast<ushort>()[index] = type == F16 ? FloatToHalf(value) : FloatToBFloat16(value);
        }
    }

    public static float HalfToFloat(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        uint exp = ((uint)h >> 10) & 0x1F;
        uint man = (uint)h & 0x3FF;
        if (exp == 0)
        {
            float sub = man * 5.9604644775390625e-8f; // man · 2⁻²⁴, exact
            return sign != 0 ? -sub : sub;
        }

        if (exp == 31)
        {
            return Interop.IntAsFloat(sign | 0x7F800000u | (man << 13));
        }

        return Interop.IntAsFloat(sign | ((exp + 112) << 23) | (man << 13));
    }

    public static ushort FloatToHalf(float f)
    {
        uint x = Interop.FloatAsInt(f);
        uint sign = (x >> 16) & 0x8000;
        uint ax = x & 0x7FFFFFFF;
        if (ax > 0x7F800000)
        {
            return (ushort)(sign | 0x7E00 | ((ax >> 13) & 0x3FF)); // NaN, quiet
        }

        if (ax >= 0x477FF000)
        {
            return (ushort)(sign | 0x7C00); // ≥ 65520 rounds to ∞ (and ∞ stays ∞)
        }

        if (ax < 0x38800000)
        {
            // Below the smallest normal half (2⁻¹⁴): a subnormal, i.e. round(|f|·2²⁴) to an integer, ties to even.
            // Adding and subtracting 1.5·2²³ rounds a float below 2²² to the nearest integer, ties to even.
            float scaled = Interop.IntAsFloat(ax) * 16777216f;
            float rounded = (scaled + 12582912f) - 12582912f;
            return (ushort)(sign | (uint)rounded);
        }

        uint h = (((ax >> 23) - 112) << 10) | ((ax >> 13) & 0x3FF);
        uint rest = ax & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0))
        {
            h++; // a carry into the exponent is the correctly rounded result
        }

        return (ushort)(sign | h);
    }

    public static ushort FloatToBFloat16(float f)
    {
        uint u = Interop.FloatAsInt(f);
        if ((u & 0x7FFFFFFF) > 0x7F800000)
        {
            return (ushort)((u >> 16) | 0x40); // NaN stays NaN
        }

        return (ushort)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
    }
}
