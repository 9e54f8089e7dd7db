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
#define LOAD8_IN(p, i) vload_half8(0, (p) + (i))
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
#define STORE8_OUT(p, i, v) vstore_half8_rte((v), 0, (p) + (i))
#else
#define OUT_T ushort
#define LOAD_OUT(p, i) bf16_to_f32((p)[(i)])
#define STORE_OUT(p, i, v) ((p)[(i)] = f32_to_bf16(v))
#define STORE8_OUT(p, i, v) vstore8(f32_to_bf16_8(v), 0, (p) + (i))
#endif
#endif
