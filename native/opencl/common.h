// Shared by every kernel family. OpenCL C 1.2, no extensions: F16 data goes through vload_half/vstore_half_rte
// (storage only, so cl_khr_fp16 is not needed) and BF16 data is ushort bits converted by hand. All math is F32.
//
// Build options choose the storage type of each tensor family:
//   -DIN_DT=n   inputs          -DOUT_DT=n  outputs         (n: 0 = f32, 1 = f16, 2 = bf16)
// and give LOAD_IN / STORE_OUT (one element) and LOAD8_IN / STORE8_OUT (eight consecutive elements).

// Where flat (row-major) element i of a view lies, from its first element: the view's rows hold len elements and
// start stride apart (len == stride for a contiguous view).
inline long view_at(long i, long len, long stride) { return (i / len) * stride + (i % len); }

#define DT_F32 0
#define DT_F16 1
#define DT_BF16 2

inline float bf16_to_f32(ushort b) { return as_float(((uint)b) << 16); }

// Round to nearest, ties to even; NaN stays NaN (made quiet) so truncation cannot turn it into infinity.
inline ushort f32_to_bf16(float f)
{
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x40u);
    return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Eight F16 values as ushort bits, widened and rounded by integer code, never by vload_half8 / vstore_half8_rte: PoCL 3.1
// compiles vload_half8 to an aligned 16-byte load (vmovdqa64), which faults, killing the process, on a view that does
// not start on a 16-byte boundary (a token slice of a larger buffer; OpenCL asks only for 2-byte alignment there).
// vload8 / vstore8 of ushort take any 2-byte-aligned address. Element-wise vload_half would be safe too, but made an F16
// add on PoCL 7× slower; the integer rounding below is about 2× slower there than vstore_half8_rte's one instruction, so
// aligned addresses keep the builtins.

// Exact widening: normal numbers rebiased, subnormals as m·2⁻²⁴ (exact in F32), ±∞ and NaN (payload kept) to F32's.
inline float8 f16_to_f32_8(ushort8 h)
{
    uint8 u = convert_uint8(h);
    uint8 em = u & (uint8)0x7fffu;
    uint8 r = select((em << 13) + (uint8)0x38000000u, (em << 13) | (uint8)0x7f800000u, em >= (uint8)0x7c00u);
    r = select(r, as_uint8(convert_float8(em) * 0x1p-24f), em < (uint8)0x400u);
    return as_float8(r | ((u & (uint8)0x8000u) << 16));
}

// Round to nearest, ties to even, as vstore_half_rte: from 65520 up to ±∞; a result below 2⁻¹⁴ (subnormal or zero)
// rounded by the F32 adder itself, |f| + 0.5 putting the unit of the last place at 2⁻²⁴; NaN made quiet with its upper
// payload bits kept. (rint and a float-to-int conversion there made an F16 add on PoCL 3× slower.)
inline ushort8 f32_to_f16_8(float8 f)
{
    uint8 u = as_uint8(f);
    uint8 a = u & (uint8)0x7fffffffu;
    uint8 r = (a - (uint8)0x38000000u + (uint8)0xfffu + ((a >> 13) & (uint8)1u)) >> 13;
    r = a >= (uint8)0x477ff000u ? (uint8)0x7c00u : r;
    r = a < (uint8)0x38800000u ? as_uint8(as_float8(a) + 0.5f) - (uint8)0x3f000000u : r;
    r = a > (uint8)0x7f800000u ? (uint8)0x7e00u | ((a >> 13) & (uint8)0x3ffu) : r;
    return convert_ushort8(r | ((u >> 16) & (uint8)0x8000u));
}

// vload_half8 / vstore_half8_rte where the address is 16-byte aligned (the same branch for every work-item of a row when
// each takes 8 elements), the integer code elsewhere.
inline float8 load_half8(__global const half* p)
{
    return ((ulong)p & 15) == 0 ? vload_half8(0, p) : f16_to_f32_8(vload8(0, (__global const ushort*)p));
}

inline void store_half8_rte(float8 v, __global half* p)
{
    if (((ulong)p & 15) == 0) vstore_half8_rte(v, 0, p);
    else vstore8(f32_to_f16_8(v), 0, (__global ushort*)p);
}

inline float8 bf16_to_f32_8(ushort8 b) { return as_float8(convert_uint8(b) << 16); }

inline ushort8 f32_to_bf16_8(float8 f)
{
    uint8 u = as_uint8(f);
    uint8 r = (u + (uint8)0x7fffu + ((u >> 16) & (uint8)1u)) >> 16;
    uint8 q = (u >> 16) | (uint8)0x40u;
    int8 is_nan = (u & (uint8)0x7fffffffu) > (uint8)0x7f800000u;
    return convert_ushort8(select(r, q, is_nan));
}

#ifdef IN_DT
#if IN_DT == DT_F32
#define IN_T float
#define LOAD_IN(p, i) ((p)[(i)])
#define LOAD8_IN(p, i) vload8(0, (p) + (i))
#elif IN_DT == DT_F16
#define IN_T half
#define LOAD_IN(p, i) vload_half((i), (p))
#define LOAD8_IN(p, i) load_half8((p) + (i))
#else
#define IN_T ushort
#define LOAD_IN(p, i) bf16_to_f32((p)[(i)])
#define LOAD8_IN(p, i) bf16_to_f32_8(vload8(0, (p) + (i)))
#endif
#endif

#ifdef OUT_DT
#if OUT_DT == DT_F32
#define OUT_T float
#define LOAD_OUT(p, i) ((p)[(i)])
#define STORE_OUT(p, i, v) ((p)[(i)] = (v))
#define STORE8_OUT(p, i, v) vstore8((v), 0, (p) + (i))
#elif OUT_DT == DT_F16
#define OUT_T half
#define LOAD_OUT(p, i) vload_half((i), (p))
#define STORE_OUT(p, i, v) vstore_half_rte((v), (i), (p))
#define STORE8_OUT(p, i, v) store_half8_rte((v), (p) + (i))
#else
#define OUT_T ushort
#define LOAD_OUT(p, i) bf16_to_f32((p)[(i)])
#define STORE_OUT(p, i, v) ((p)[(i)] = f32_to_bf16(v))
#define STORE8_OUT(p, i, v) vstore8(f32_to_bf16_8(v), 0, (p) + (i))
#endif
#endif
