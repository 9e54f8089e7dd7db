// The compute roof: independent chains of float16 FMAs, enough of them per work-item to hide FMA latency.
// Named variables (not an array) so no compiler keeps them in memory. One float per work-item is written so the
// work cannot be optimised away. FLOPs per work-item: iterations × 8 chains × 16 lanes × 2.
__kernel void fma_burst(__global float* out, const int iterations)
{
    float s = (float)get_global_id(0) * 1e-7f;
    float16 a0 = (float16)(s + 0.1f), a1 = (float16)(s + 0.2f), a2 = (float16)(s + 0.3f), a3 = (float16)(s + 0.4f);
    float16 a4 = (float16)(s + 0.5f), a5 = (float16)(s + 0.6f), a6 = (float16)(s + 0.7f), a7 = (float16)(s + 0.8f);
    const float16 m = (float16)0.9999f, c = (float16)1e-4f;
    for (int i = 0; i < iterations; i++) {
        a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
        a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    }
    float16 t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    out[get_global_id(0)] = t.s0 + t.s5 + t.sa + t.sf;
}
