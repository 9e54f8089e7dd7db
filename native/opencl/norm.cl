#include "common.h"

// No contraction of a*b + c into one fma here: softmax's exponent scale·x − max must round scale·x first, as the max
// did, or the row's maximum gets exp(rounding error of scale·x), which for a huge |scale·x| (1e20) is exp(±1e13): an
// infinite sum and a NaN row where the contract gives finite weights.
#pragma OPENCL FP_CONTRACT OFF

// Row reductions: one work-group of WG work-items per row (WG is a build option, a power of two).
// Each work-item strides over the row; partial results meet in local memory through a tree reduction.

inline float reduce_max(__local float* red, float v)
{
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = fmax(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline float reduce_sum(__local float* red, float v)
{
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// Max-subtracted softmax. fmax skips NaN, but exp(NaN − m) is NaN and so is the sum: a NaN anywhere makes the row
// NaN, as does +inf (inf − inf). With the causal mask, row r of a [.., qrows, cols] view keeps j ≤ r + cols − qrows.
// xl, xs / yl, ys: the views' row length and row stride (see view_at); equal when contiguous.
__kernel void softmax(__global const IN_T* x, const long xo, __global OUT_T* y, const long yo,
                      const long xl, const long xs, const long yl, const long ys,
                      const int cols, const int qrows, const float scale, const int causal)
{
    __local float red[WG];
    long row = get_group_id(0);
    int lid = get_local_id(0);
    long bx = xo + view_at(row * (long)cols, xl, xs), by = yo + view_at(row * (long)cols, yl, ys);
    int kept = cols;
    if (causal) kept = (int)clamp((long)(row % qrows) + cols - qrows + 1, 0L, (long)cols);

    float m = -INFINITY;
    for (int j = lid; j < kept; j += WG) m = fmax(m, scale * LOAD_IN(x, bx + j));
    m = reduce_max(red, m);

    float s = 0.0f;
    for (int j = lid; j < kept; j += WG) s += exp(scale * LOAD_IN(x, bx + j) - m);
    s = reduce_sum(red, s);

    float inv = 1.0f / s;
    for (int j = lid; j < cols; j += WG) {
        float v = j < kept ? exp(scale * LOAD_IN(x, bx + j) - m) * inv : 0.0f;
        STORE_OUT(y, by + j, v);
    }
}

__kernel void rmsnorm(__global const IN_T* x, const long xo, __global const IN_T* gamma, const long go,
                      __global OUT_T* y, const long yo, const long xl, const long xs, const long yl, const long ys,
                      const int cols, const float eps)
{
    __local float red[WG];
    long row = get_group_id(0);
    int lid = get_local_id(0);
    long bx = xo + view_at(row * (long)cols, xl, xs), by = yo + view_at(row * (long)cols, yl, ys);
    float ss = 0.0f;
    for (int j = lid; j < cols; j += WG) {
        float v = LOAD_IN(x, bx + j);
        ss += v * v;
    }
    ss = reduce_sum(red, ss);
    float inv = rsqrt(ss / cols + eps);
    for (int j = lid; j < cols; j += WG) {
        STORE_OUT(y, by + j, LOAD_IN(x, bx + j) * inv * LOAD_IN(gamma, go + j));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One work-item per row, walking it in float8 steps: the shape that suits CPU devices, where a work-group's items
// run one after another on one core and barriers only cost. Same contracts as the work-group kernels above.
// ---------------------------------------------------------------------------------------------------------------
inline float hmax8(float8 v) { float4 m = fmax(v.lo, v.hi); float2 n = fmax(m.lo, m.hi); return fmax(n.x, n.y); }
inline float hsum8(float8 v) { float4 m = v.lo + v.hi; float2 n = m.lo + m.hi; return n.x + n.y; }

__kernel void softmax_rows(__global const IN_T* x, const long xo, __global OUT_T* y, const long yo,
                           const long xl, const long xs, const long yl, const long ys, const long rows,
                           const int cols, const int qrows, const float scale, const int causal)
{
    long row = get_global_id(0);
    if (row >= rows) return;
    long bx = xo + view_at(row * (long)cols, xl, xs), by = yo + view_at(row * (long)cols, yl, ys);
    int kept = cols;
    if (causal) kept = (int)clamp((long)(row % qrows) + cols - qrows + 1, 0L, (long)cols);
    int kv = kept & ~7;

    float8 m8 = (float8)(-INFINITY);
    for (int j = 0; j < kv; j += 8) m8 = fmax(m8, scale * LOAD8_IN(x, bx + j));
    float m = hmax8(m8);
    for (int j = kv; j < kept; j++) m = fmax(m, scale * LOAD_IN(x, bx + j));

    // The last kept − kv (< 8) elements go through the same vector code, as lanes of one float8, so a tail element
    // gets the bits it would get in a whole vector (a scalar exp may differ from the vector one in the last bits).
    int nt = kept - kv;
    float t[8] = { 0.0f };
    for (int k = 0; k < nt; k++) t[k] = LOAD_IN(x, bx + kv + k);
    float8 tail = vload8(0, t);

    float8 s8 = (float8)0.0f;
    for (int j = 0; j < kv; j += 8) s8 += exp(scale * LOAD8_IN(x, bx + j) - m);
    float s = hsum8(s8);
    vstore8(exp(scale * tail - m), 0, t);
    for (int k = 0; k < nt; k++) s += t[k];

    float inv = 1.0f / s;
    for (int j = 0; j < kv; j += 8) STORE8_OUT(y, by + j, exp(scale * LOAD8_IN(x, bx + j) - m) * inv);
    vstore8(exp(scale * tail - m) * inv, 0, t);
    for (int k = 0; k < nt; k++) STORE_OUT(y, by + kv + k, t[k]);
    for (int j = kept; j < cols; j++) STORE_OUT(y, by + j, 0.0f);
}

__kernel void rmsnorm_rows(__global const IN_T* x, const long xo, __global const IN_T* gamma, const long go,
                           __global OUT_T* y, const long yo, const long xl, const long xs, const long yl, const long ys,
                           const long rows, const int cols, const float eps)
{
    long row = get_global_id(0);
    if (row >= rows) return;
    long bx = xo + view_at(row * (long)cols, xl, xs), by = yo + view_at(row * (long)cols, yl, ys);
    int cv = cols & ~7;
    float8 s8 = (float8)0.0f;
    for (int j = 0; j < cv; j += 8) { float8 v = LOAD8_IN(x, bx + j); s8 = mad(v, v, s8); }
    float ss = hsum8(s8);
    for (int j = cv; j < cols; j++) { float v = LOAD_IN(x, bx + j); ss = mad(v, v, ss); }
    float inv = rsqrt(ss / cols + eps);
    for (int j = 0; j < cv; j += 8) STORE8_OUT(y, by + j, LOAD8_IN(x, bx + j) * inv * LOAD8_IN(gamma, go + j));
    for (int j = cv; j < cols; j++) STORE_OUT(y, by + j, LOAD_IN(x, bx + j) * inv * LOAD_IN(gamma, go + j));
}
