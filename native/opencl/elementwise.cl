#include "common.h"

// Elementwise ops: each work-item handles 8 consecutive elements with vector loads; the work-item that reaches
// the ragged end finishes it one element at a time. Offsets are element offsets of the views.

inline float8 silu8(float8 x) { return x / (1.0f + exp(-x)); }

// One element through the vector code, in lane 0 of a broadcast: a tail or a strided element gets the very bits its
// vector neighbours would (PoCL's scalar exp and its vector exp differ in the last bits, so an element's result
// depended on where it sat). Used for at most 7 elements of a contiguous view.
inline float silu1(float x) { return silu8((float8)(x)).s0; }

__kernel void silu(__global const IN_T* x, const long xo, __global OUT_T* y, const long yo, const long n)
{
    long i = (long)get_global_id(0) * 8;
    if (i + 8 <= n) {
        STORE8_OUT(y, yo + i, silu8(LOAD8_IN(x, xo + i)));
    } else {
        for (; i < n; i++) STORE_OUT(y, yo + i, silu1(LOAD_IN(x, xo + i)));
    }
}

__kernel void swiglu(__global const IN_T* g, const long go, __global const IN_T* u, const long uo,
                     __global OUT_T* y, const long yo, const long n)
{
    long i = (long)get_global_id(0) * 8;
    if (i + 8 <= n) {
        STORE8_OUT(y, yo + i, silu8(LOAD8_IN(g, go + i)) * LOAD8_IN(u, uo + i));
    } else {
        for (; i < n; i++) STORE_OUT(y, yo + i, silu1(LOAD_IN(g, go + i)) * LOAD_IN(u, uo + i));
    }
}

// a and y are [rows, cols]; b is one row [cols] repeated (bstride = 0) or a full [rows, cols] (bstride = cols).
// Dimension 0 covers a row in steps of 8, dimension 1 the rows: no division per element.
#define BINARY(NAME, OP)                                                                               \
__kernel void NAME(__global const IN_T* a, const long ao, __global const IN_T* b, const long bo,       \
                   const long bstride, __global OUT_T* y, const long yo, const long cols)              \
{                                                                                                      \
    long c = (long)get_global_id(0) * 8, r = get_global_id(1);                                         \
    long ai = ao + r * cols, bi = bo + r * bstride, yi = yo + r * cols;                                \
    if (c + 8 <= cols) {                                                                               \
        float8 va = LOAD8_IN(a, ai + c), vb = LOAD8_IN(b, bi + c);                                     \
        STORE8_OUT(y, yi + c, va OP vb);                                                               \
    } else {                                                                                           \
        for (; c < cols; c++) STORE_OUT(y, yi + c, LOAD_IN(a, ai + c) OP LOAD_IN(b, bi + c));          \
    }                                                                                                  \
}

BINARY(add, +)
BINARY(mul, *)

__kernel void cast(__global const IN_T* x, const long xo, __global OUT_T* y, const long yo, const long n)
{
    long i = (long)get_global_id(0) * 8;
    if (i + 8 <= n) {
        STORE8_OUT(y, yo + i, LOAD8_IN(x, xo + i));
    } else {
        for (; i < n; i++) STORE_OUT(y, yo + i, LOAD_IN(x, xo + i));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Row-strided views (see view_at): each operand with its row length and row stride. silu and swiglu take eight
// elements per work-item, gathered one at a time into a vector for silu8 (the same code and bits as a contiguous
// view's); cast, add and mul take four, one at a time. b of add/mul is read at flat index i mod bn (the broadcast
// period). Work-items past the end (the last group's) do nothing.
// ---------------------------------------------------------------------------------------------------------------
__kernel void silu_strided(__global const IN_T* x, const long xo, const long xl, const long xs,
                           __global OUT_T* y, const long yo, const long yl, const long ys, const long n)
{
    long i0 = (long)get_global_id(0) * 8;
    if (i0 >= n) return;
    int m = (int)min(n - i0, (long)8);
    float t[8] = { 0.0f };
    for (int k = 0; k < m; k++) t[k] = LOAD_IN(x, xo + view_at(i0 + k, xl, xs));
    vstore8(silu8(vload8(0, t)), 0, t);
    for (int k = 0; k < m; k++) STORE_OUT(y, yo + view_at(i0 + k, yl, ys), t[k]);
}

__kernel void swiglu_strided(__global const IN_T* g, const long go, const long gl, const long gs,
                             __global const IN_T* u, const long uo, const long ul, const long us,
                             __global OUT_T* y, const long yo, const long yl, const long ys, const long n)
{
    long i0 = (long)get_global_id(0) * 8;
    if (i0 >= n) return;
    int m = (int)min(n - i0, (long)8);
    float t[8] = { 0.0f }, v[8] = { 0.0f };
    for (int k = 0; k < m; k++) { t[k] = LOAD_IN(g, go + view_at(i0 + k, gl, gs)); v[k] = LOAD_IN(u, uo + view_at(i0 + k, ul, us)); }
    vstore8(silu8(vload8(0, t)) * vload8(0, v), 0, t);
    for (int k = 0; k < m; k++) STORE_OUT(y, yo + view_at(i0 + k, yl, ys), t[k]);
}

__kernel void cast_strided(__global const IN_T* x, const long xo, const long xl, const long xs,
                           __global OUT_T* y, const long yo, const long yl, const long ys, const long n)
{
    long i0 = (long)get_global_id(0) * 4, i1 = min(i0 + 4, n);
    for (long i = i0; i < i1; i++) STORE_OUT(y, yo + view_at(i, yl, ys), LOAD_IN(x, xo + view_at(i, xl, xs)));
}

#define BINARY_STRIDED(NAME, OP)                                                                       \
__kernel void NAME(__global const IN_T* a, const long ao, const long al, const long ast,                \
                   __global const IN_T* b, const long bo, const long bl, const long bs, const long bn,  \
                   __global OUT_T* y, const long yo, const long yl, const long ys, const long n)        \
{                                                                                                      \
    long i0 = (long)get_global_id(0) * 4, i1 = min(i0 + 4, n);                                         \
    for (long i = i0; i < i1; i++)                                                                     \
        STORE_OUT(y, yo + view_at(i, yl, ys),                                                          \
                  LOAD_IN(a, ao + view_at(i, al, ast)) OP LOAD_IN(b, bo + view_at(i % bn, bl, bs)));    \
}

BINARY_STRIDED(add_strided, +)
BINARY_STRIDED(mul_strided, *)
