#include "common.h"

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
__kernel void softmax(__global const IN_T* x, const long xo, __global OUT_T* y, const long yo,
                      const int cols, const int qrows, const float scale, const int causal)
{
    __local float red[WG];
    long row = get_group_id(0);
    int lid = get_local_id(0);
    long base = row * (long)cols;
    int kept = cols;
    if (causal) kept = (int)clamp((long)(row % qrows) + cols - qrows + 1, 0L, (long)cols);

    float m = -INFINITY;
    for (int j = lid; j < kept; j += WG) m = fmax(m, scale * LOAD_IN(x, xo + base + j));
    m = reduce_max(red, m);

    float s = 0.0f;
    for (int j = lid; j < kept; j += WG) s += exp(scale * LOAD_IN(x, xo + base + j) - m);
    s = reduce_sum(red, s);

    float inv = 1.0f / s;
    for (int j = lid; j < cols; j += WG) {
        float v = j < kept ? exp(scale * LOAD_IN(x, xo + base + j) - m) * inv : 0.0f;
        STORE_OUT(y, yo + base + j, v);
    }
}

__kernel void rmsnorm(__global const IN_T* x, const long xo, __global const IN_T* gamma, const long go,
                      __global OUT_T* y, const long yo, const int cols, const float eps)
{
    __local float red[WG];
    long row = get_group_id(0);
    int lid = get_local_id(0);
    long base = row * (long)cols;
    float ss = 0.0f;
    for (int j = lid; j < cols; j += WG) {
        float v = LOAD_IN(x, xo + base + j);
        ss += v * v;
    }
    ss = reduce_sum(red, ss);
    float inv = rsqrt(ss / cols + eps);
    for (int j = lid; j < cols; j += WG) {
        STORE_OUT(y, yo + base + j, LOAD_IN(x, xo + base + j) * inv * LOAD_IN(gamma, go + j));
    }
}
