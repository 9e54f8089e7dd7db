#include "common.h"

// Rotary embedding on x [T, H, D]. Work-item (p, h, t): p < rot/2 turns pair p; p ≥ rot/2 copies dimension
// rot + (p − rot/2). inv_freq comes from the host, rounded once to F32, so every backend turns by the same angle.
__kernel void rope(__global const IN_T* x, const long xo, __global const int* pos, const long po,
                   __global const float* inv_freq, __global OUT_T* y, const long yo,
                   const int heads, const int d, const int rot, const int interleaved)
{
    int p = get_global_id(0), h = get_global_id(1);
    long t = get_global_id(2);
    int half_rot = rot / 2;
    if (p >= half_rot + (d - rot)) return;
    long base = (t * heads + h) * (long)d;
    if (p >= half_rot) {
        int j = rot + (p - half_rot);
        STORE_OUT(y, yo + base + j, LOAD_IN(x, xo + base + j));
        return;
    }
    float angle = (float)pos[po + t] * inv_freq[p];
    float c = cos(angle), s = sin(angle);
    int i0 = interleaved ? 2 * p : p;
    int i1 = interleaved ? 2 * p + 1 : p + half_rot;
    float x0 = LOAD_IN(x, xo + base + i0), x1 = LOAD_IN(x, xo + base + i1);
    STORE_OUT(y, yo + base + i0, x0 * c - x1 * s);
    STORE_OUT(y, yo + base + i1, x0 * s + x1 * c);
}
