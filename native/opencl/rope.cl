#include "common.h"

// Rotary embedding on x [T, H, D]; token t's heads start at t·ldx in x and t·ldy in y. Work-item (p, t): for p < rot/2 it computes the angle of pair p at token t once
// and turns that pair in every head; for p ≥ rot/2 it copies dimension rot + (p − rot/2) of every head.
// inv_freq comes from the host, rounded once to F32, so every backend turns by the same angle.
__kernel void rope(__global const IN_T* x, const long xo, __global const int* pos, const long po,
                   __global const float* inv_freq, __global OUT_T* y, const long yo,
                   const long ldx, const long ldy, const int heads, const int d, const int rot, const int interleaved)
{
    int p = get_global_id(0);
    long t = get_global_id(1);
    int half_rot = rot / 2;
    if (p >= half_rot + (d - rot)) return;
    long bx = xo + t * ldx, by = yo + t * ldy;
    if (p >= half_rot) {
        int j = rot + (p - half_rot);
        for (int h = 0; h < heads; h++) STORE_OUT(y, by + (long)h * d + j, LOAD_IN(x, bx + (long)h * d + j));
        return;
    }
    float angle = (float)pos[po + t] * inv_freq[p];
    float c = cos(angle), s = sin(angle);
    int i0 = interleaved ? 2 * p : p;
    int i1 = interleaved ? 2 * p + 1 : p + half_rot;
    for (int h = 0; h < heads; h++) {
        long hx = bx + (long)h * d, hy = by + (long)h * d;
        float x0 = LOAD_IN(x, hx + i0), x1 = LOAD_IN(x, hx + i1);
        STORE_OUT(y, hy + i0, x0 * c - x1 * s);
        STORE_OUT(y, hy + i1, x0 * s + x1 * c);
    }
}
