/* F16 / BF16 <-> F32 conversions: round to nearest even, overflow to +-inf, NaN stays (quiet) NaN. */
#include <math.h>
#include <string.h>

#include "sim_internal.h"

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float sim_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t u;
    if (exp == 0x1f) {
        u = sign | 0x7f800000u | (man << 13);
        if (man != 0) u |= 0x00400000u; /* keep NaN quiet */
    } else if (exp != 0) {
        u = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {
        u = sign;
    } else {
        /* subnormal half: man * 2^-24, exact in float */
        float f = (float)man * 0x1p-24f;
        u = sign | f2u(f);
    }
    return u2f(u);
}

uint16_t sim_f32_to_f16(float f)
{
    uint32_t u = f2u(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN, quiet */
    if (a >= 0x47800000u) return (uint16_t)(sign | 0x7c00u);                        /* >= 65536 or inf */
    if (a < 0x38800000u) {
        /* result is subnormal or zero: let the FPU round (adding 0.5 aligns the lsb at 2^-24) */
        float v = u2f(a) + 0.5f;
        return (uint16_t)(sign | (uint16_t)(f2u(v) - 0x3f000000u));
    }
    uint32_t odd = (a >> 13) & 1u;
    a += 0xc8000fffu + odd; /* rebias exponent by -112 (mod 2^32) and round half to even */
    return (uint16_t)(sign | (uint16_t)(a >> 13)); /* a carry into exponent 31 yields inf */
}

float sim_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu) != 0) u |= 0x00400000u;
    return u2f(u);
}

uint16_t sim_f32_to_bf16(float f)
{
    uint32_t u = f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* double -> float rounded to odd: then a second rounding to a narrower format is correct (no double rounding) */
static float f64_to_f32_odd(double d)
{
    if (isnan(d) || isinf(d)) return (float)d;
    float f = (float)d;
    if ((double)f == d) return f;
    if (fabs((double)f) > fabs(d)) f = nextafterf(f, 0.0f);
    return u2f(f2u(f) | 1u);
}

uint16_t sim_f64_to_f16(double d) { return sim_f32_to_f16(f64_to_f32_odd(d)); }
uint16_t sim_f64_to_bf16(double d) { return sim_f32_to_bf16(f64_to_f32_odd(d)); }
float sim_f64_to_f32(double d) { return (float)d; }
