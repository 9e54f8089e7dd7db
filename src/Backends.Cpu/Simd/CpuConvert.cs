using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backends.Cpu;

/// <summary>Conversions between device memory of any float dtype and F32 working spans, vectorised.</summary>
internal static unsafe class CpuConvert
{
    /// <summary>Reads <paramref name="dst"/>.Length elements of <paramref name="dtype"/> at <paramref name="src"/> + index as F32.</summary>
    public static void ToFloat(DType dtype, nint src, long index, Span<float> dst)
    {
        switch (dtype)
        {
            case DType.F32:
                new ReadOnlySpan<float>((float*)src + index, dst.Length).CopyTo(dst);
                break;
            case DType.F16:
                HalfToFloat(new ReadOnlySpan<ushort>((ushort*)src + index, dst.Length), dst);
                break;
            case DType.BF16:
                BF16ToFloat(new ReadOnlySpan<ushort>((ushort*)src + index, dst.Length), dst);
                break;
            default:
                throw new NotSupportedException(dtype.ToString());
        }
    }

    /// <summary>Writes F32 values as <paramref name="dtype"/> at <paramref name="dst"/> + index (round to nearest even).</summary>
    public static void FromFloat(DType dtype, ReadOnlySpan<float> src, nint dst, long index) => FromFloat(dtype, src, dst, index, nonTemporal: false);

    /// <summary>
    /// <see cref="FromFloat(DType, ReadOnlySpan{float}, nint, long)"/>, optionally writing an F16/BF16 destination's whole
    /// 64-byte blocks with non-temporal stores on 512-bit vectors (a large output that is not read back soon: its lines are
    /// then not read for ownership). The caller fences (<see cref="CpuFused.FenceStreams"/>) before reporting completion.
    /// </summary>
    public static void FromFloat(DType dtype, ReadOnlySpan<float> src, nint dst, long index, bool nonTemporal)
    {
        switch (dtype)
        {
            case DType.F32:
                src.CopyTo(new Span<float>((float*)dst + index, src.Length));
                break;
            case DType.F16:
                Narrow<F16>(src, new Span<ushort>((ushort*)dst + index, src.Length), nonTemporal);
                break;
            case DType.BF16:
                Narrow<BF16>(src, new Span<ushort>((ushort*)dst + index, src.Length), nonTemporal);
                break;
            default:
                throw new NotSupportedException(dtype.ToString());
        }
    }

    /// <summary>A span over F32 device memory.</summary>
    public static Span<float> Floats(nint p, long index, int count) => new((float*)p + index, count);

    // The 16-bit conversions are this library's own code (not TensorPrimitives): compiled fully optimised on first use,
    // they do not depend on tiered compilation promoting a library method, which was seen not to happen in a process
    // with one processor (an F32 → F16 cast then ran at a tenth of its speed).

    /// <summary>f16 → f32, exactly (subnormals and ±∞ kept; NaN payloads kept, made quiet).</summary>
    public static void HalfToFloat(ReadOnlySpan<ushort> src, Span<float> dst) => Widen<F16>(src, dst);

    /// <summary>f32 → f16, round to nearest even: overflow to ±∞, subnormal results rounded, NaN kept quiet.</summary>
    public static void FloatToHalf(ReadOnlySpan<float> src, Span<ushort> dst) => Narrow<F16>(src, dst, nonTemporal: false);

    /// <summary>f16 → f32 of the low 16 bits of each lane (the upper bits are ignored), exactly as <see cref="HalfToFloat"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenHalfLanes(Vector512<uint> bits) => F16.Widen(bits);

    /// <summary>f16 → f32 of the low 16 bits of each lane (the upper bits are ignored), exactly as <see cref="HalfToFloat"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenHalfLanes(Vector256<uint> bits) => F16.Widen(bits);

    /// <summary>bf16 → f32: the bits move to the upper half, exactly.</summary>
    public static void BF16ToFloat(ReadOnlySpan<ushort> src, Span<float> dst) => Widen<BF16>(src, dst);

    /// <summary>f32 → bf16, round to nearest even, NaN kept (made quiet).</summary>
    public static void FloatToBF16(ReadOnlySpan<float> src, Span<ushort> dst) => Narrow<BF16>(src, dst, nonTemporal: false);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen<TFormat>(ReadOnlySpan<ushort> src, Span<float> dst)
        where TFormat : struct, IFloat16
    {
        int i = 0;
        fixed (ushort* s = src)
        fixed (float* d = dst)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 32 <= src.Length; i += 32)
                {
                    (Vector512<uint> lo, Vector512<uint> hi) = Vector512.Widen(Vector512.Load(s + i));
                    TFormat.Widen(lo).Store(d + i);
                    TFormat.Widen(hi).Store(d + i + 16);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 16 <= src.Length; i += 16)
                {
                    (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(Vector256.Load(s + i));
                    TFormat.Widen(lo).Store(d + i);
                    TFormat.Widen(hi).Store(d + i + 8);
                }
            }

            for (; i < src.Length; i++)
            {
                d[i] = TFormat.Widen(s[i]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow<TFormat>(ReadOnlySpan<float> src, Span<ushort> dst, bool nonTemporal)
        where TFormat : struct, IFloat16
    {
        int i = 0;
        fixed (float* s = src)
        fixed (ushort* d = dst)
        {
            if (Vector512.IsHardwareAccelerated && nonTemporal)
            {
                // Scalar up to the destination's first 64-byte boundary, then whole blocks with non-temporal stores.
                int head = (int)Math.Min(src.Length, ((64 - ((nint)d & 63)) & 63) / sizeof(ushort));
                for (; i < head; i++)
                {
                    d[i] = TFormat.Narrow(s[i]);
                }

                // 64 floats a step where they fit (two independent narrowing chains; against 32 a step, A/B in one
                // process, 4096×4096 F32 → F16: 79–83% → 82–88% of a same-run copy on one core and on two, BF16 90 → 93%),
                // each step fetching its lines CpuFused.StreamAhead floats on (see there).
                for (; i + 64 <= src.Length; i += 64)
                {
                    CpuFused.FetchAhead(s + i, 64);
                    Vector512<ushort> n0 = Narrow32<TFormat>(s + i), n1 = Narrow32<TFormat>(s + i + 32);
                    n0.StoreAlignedNonTemporal(d + i);
                    n1.StoreAlignedNonTemporal(d + i + 32);
                }

                for (; i + 32 <= src.Length; i += 32)
                {
                    Narrow32<TFormat>(s + i).StoreAlignedNonTemporal(d + i);
                }
            }
            else if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 64 <= src.Length; i += 64)
                {
                    CpuFused.FetchAhead(s + i, 64);
                    Vector512<ushort> n0 = Narrow32<TFormat>(s + i), n1 = Narrow32<TFormat>(s + i + 32);
                    n0.Store(d + i);
                    n1.Store(d + i + 32);
                }

                for (; i + 32 <= src.Length; i += 32)
                {
                    Narrow32<TFormat>(s + i).Store(d + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 16 <= src.Length; i += 16)
                {
                    CpuFused.FetchAhead(s + i, 16);
                    Vector256.Narrow(TFormat.Narrow(Vector256.Load(s + i).AsUInt32()), TFormat.Narrow(Vector256.Load(s + i + 8).AsUInt32())).Store(d + i);
                }
            }

            for (; i < src.Length; i++)
            {
                d[i] = TFormat.Narrow(s[i]);
            }
        }
    }

    /// <summary>32 floats at <paramref name="s"/> narrowed to one vector of 16-bit values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Narrow32<TFormat>(float* s)
        where TFormat : struct, IFloat16
        => Pack(TFormat.Narrow(Vector512.Load(s).AsUInt32()), TFormat.Narrow(Vector512.Load(s + 16).AsUInt32()));

    /// <summary>Two vectors of 16-bit values (one per 32-bit lane, upper halves zero) packed into one, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Pack(Vector512<uint> lo, Vector512<uint> hi)
    {
        // Only reached where Vector512 is accelerated, which on x86 implies AVX-512 F and BW. vpackusdw packs within
        // 128-bit lanes (lo's 4, hi's 4, per lane; no lane saturates, each holds at most 0xFFFF); the qword permute puts
        // lo's before hi's.
        Vector512<ushort> packed = Avx512BW.PackUnsignedSaturate(lo.AsInt32(), hi.AsInt32());
        return Avx512F.PermuteVar8x64(packed.AsUInt64(), Vector512.Create(0ul, 2, 4, 6, 1, 3, 5, 7)).AsUInt16();
    }

    /// <summary>A 16-bit float format: its bits (one per 32-bit lane) to and from F32, on 512- and 256-bit vectors and scalars.</summary>
    private interface IFloat16
    {
        static abstract Vector512<float> Widen(Vector512<uint> bits);

        static abstract Vector256<float> Widen(Vector256<uint> bits);

        static abstract float Widen(ushort bits);

        /// <summary>F32 bits to this format's bits, one per lane, with each lane's upper 16 bits zero (<see cref="Pack"/> relies on it).</summary>
        static abstract Vector512<uint> Narrow(Vector512<uint> f32);

        static abstract Vector256<uint> Narrow(Vector256<uint> f32);

        static abstract ushort Narrow(float f32);
    }

    /// <summary>IEEE binary16.</summary>
    private readonly struct F16 : IFloat16
    {
        // Widening: the magnitude bits moved to f32's place and scaled by 2^112 (exact for normals and subnormals);
        // ±∞/NaN by bits, a NaN made quiet as the scalar conversion does.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Widen(Vector512<uint> h)
        {
            Vector512<uint> em = h & Vector512.Create(0x7FFFu);
            Vector512<uint> finite = (Vector512.ShiftLeft(em, 13).AsSingle() * Vector512.Create(0x77800000u).AsSingle()).AsUInt32();
            Vector512<uint> special = Vector512.ShiftLeft(em, 13) | Vector512.Create(0x7F800000u) | (Vector512.GreaterThan(em, Vector512.Create(0x7C00u)) & Vector512.Create(0x400000u));
            Vector512<uint> mag = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(em, Vector512.Create(0x7C00u)), special, finite);
            return (mag | Vector512.ShiftLeft(h & Vector512.Create(0x8000u), 16)).AsSingle();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen(Vector256<uint> h)
        {
            Vector256<uint> em = h & Vector256.Create(0x7FFFu);
            Vector256<uint> finite = (Vector256.ShiftLeft(em, 13).AsSingle() * Vector256.Create(0x77800000u).AsSingle()).AsUInt32();
            Vector256<uint> special = Vector256.ShiftLeft(em, 13) | Vector256.Create(0x7F800000u) | (Vector256.GreaterThan(em, Vector256.Create(0x7C00u)) & Vector256.Create(0x400000u));
            Vector256<uint> mag = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7C00u)), special, finite);
            return (mag | Vector256.ShiftLeft(h & Vector256.Create(0x8000u), 16)).AsSingle();
        }

        public static float Widen(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

        // Narrowing, each lane's result in its low 16 bits with the upper 16 zero. |x| ≥ 2^−14: rebias the exponent and
        // round the 13 dropped bits to nearest even (a carry into the exponent is the right result); the rebiased value
        // grows with |x|, so past the largest finite half (from 65520 on, and for ∞) the unsigned minimum with ∞'s bits
        // is ∞. |x| < 2^−14: x + 0.5 in F32 rounds x to a multiple of 2^−24, the f16 subnormal step, and the low 15 bits
        // of its bits are the f16 bits (0.5's have none there). NaN keeps its top payload bits, made quiet. Only the low
        // 15 bits of the magnitude are kept, and the sign comes in with the same bit select. All 2^32 inputs match
        // .NET's (Half) conversion bit for bit, on both widths (checked exhaustively when this was written).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Narrow(Vector512<uint> b)
        {
            Vector512<uint> a = b & Vector512.Create(0x7FFFFFFFu);
            Vector512<uint> s13 = a >> 13;
            Vector512<uint> normal = Vector512.Min((a + Vector512.Create(0xC8000FFFu) + (s13 & Vector512<uint>.One)) >> 13, Vector512.Create(0x7C00u));
            Vector512<uint> sub = (a.AsSingle() + Vector512.Create(0.5f)).AsUInt32();
            Vector512<uint> mag = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(0x38800000u)), sub, normal);
            mag = Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(0x7F800000u)), s13 | Vector512.Create(0x7E00u), mag);
            return Vector512.ConditionalSelect(Vector512.Create(0x7FFFu), mag, b >> 16);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Narrow(Vector256<uint> b)
        {
            Vector256<uint> a = b & Vector256.Create(0x7FFFFFFFu);
            Vector256<uint> s13 = a >> 13;
            Vector256<uint> normal = Vector256.Min((a + Vector256.Create(0xC8000FFFu) + (s13 & Vector256<uint>.One)) >> 13, Vector256.Create(0x7C00u));
            Vector256<uint> sub = (a.AsSingle() + Vector256.Create(0.5f)).AsUInt32();
            Vector256<uint> mag = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(0x38800000u)), sub, normal);
            mag = Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(0x7F800000u)), s13 | Vector256.Create(0x7E00u), mag);
            return Vector256.ConditionalSelect(Vector256.Create(0x7FFFu), mag, b >> 16);
        }

        public static ushort Narrow(float f32) => BitConverter.HalfToUInt16Bits((Half)f32);
    }

    /// <summary>bfloat16: the upper half of an F32.</summary>
    private readonly struct BF16 : IFloat16
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Widen(Vector512<uint> bits) => (bits << 16).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen(Vector256<uint> bits) => (bits << 16).AsSingle();

        public static float Widen(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Narrow(Vector512<uint> bits)
        {
            Vector512<uint> rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
            Vector512<uint> nan = (bits >> 16) | Vector512.Create(0x40u);
            Vector512<uint> isNan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFFFFFFu), Vector512.Create(0x7F800000u));
            return Vector512.ConditionalSelect(isNan, nan, rounded);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Narrow(Vector256<uint> bits)
        {
            Vector256<uint> rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
            Vector256<uint> nan = (bits >> 16) | Vector256.Create(0x40u);
            Vector256<uint> isNan = Vector256.GreaterThan(bits & Vector256.Create(0x7FFFFFFFu), Vector256.Create(0x7F800000u));
            return Vector256.ConditionalSelect(isNan, nan, rounded);
        }

        public static ushort Narrow(float f32) => BFloat16.RoundBits(BitConverter.SingleToUInt32Bits(f32));
    }

    /// <summary>Reads one element of a float dtype as F32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(DType dtype, nint p, long index) => dtype switch
    {
        DType.F32 => ((float*)p)[index],
        DType.F16 => (float)((Half*)p)[index],
        _ => BitConverter.UInt32BitsToSingle((uint)((ushort*)p)[index] << 16),
    };

    /// <summary>
    /// A thread-local scratch span of at least <paramref name="count"/> floats, starting on a 64-byte boundary (so
    /// 512-bit loads never straddle two cache lines); slots 0..6 are independent (4 and 5: the GEMM decode path's
    /// per-call copies of A, taken on the calling thread; 6: a worker's own packed A, see <c>CpuGemm.WorkerPack</c>).
    /// </summary>
    public static Span<float> Scratch(int slot, int count)
    {
        t_scratch ??= new float[7][];
        float[]? a = t_scratch[slot];
        if (a is null || a.Length < count + 16)
        {
            a = GC.AllocateUninitializedArray<float>(Math.Max(count + 16, 4096), pinned: true);
            t_scratch[slot] = a;
        }

        return MemoryMarshal.CreateSpan(ref Aligned64(a), count);
    }

    /// <summary>The first element of a pinned array that lies on a 64-byte boundary (the array needs 15 floats of slack).</summary>
    public static ref float Aligned64(float[] pinned)
    {
        ref float first = ref MemoryMarshal.GetArrayDataReference(pinned);
        int skip = (int)(((64 - ((nint)Unsafe.AsPointer(ref first) & 63)) & 63) / sizeof(float));
        return ref Unsafe.Add(ref first, skip);
    }

    /// <summary>The address of a scratch slot (pinned), valid until the slot grows.</summary>
    public static float* ScratchPointer(int slot, int count) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Scratch(slot, count)));

    [ThreadStatic]
    private static float[]?[]? t_scratch;
}
