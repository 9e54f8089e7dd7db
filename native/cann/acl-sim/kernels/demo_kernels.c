/* libaclsim_kernels: demo "AscendC kernels" for aclrtBinaryLoadFromFile / aclrtLaunchKernel.
   Each kernel runs once per block: void kernel(uint32_t blockIdx, uint32_t numBlocks, const void *args, size_t argsSize).
   Arguments are packed 8-byte slots. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ACLSIM_KERNEL __attribute__((visibility("default")))

static void block_share(uint32_t b, uint32_t nb, int64_t n, int64_t *start, int64_t *end)
{
    int64_t chunk = nb ? (n + (int64_t)nb - 1) / (int64_t)nb : 0;
    *start = (int64_t)b * chunk;
    *end = *start + chunk < n ? *start + chunk : n;
}

static void *slot_ptr(const void *args, int i)
{
    void *p;
    memcpy(&p, (const char *)args + 8 * i, sizeof p);
    return p;
}

static int64_t slot_i64(const void *args, int i)
{
    int64_t v;
    memcpy(&v, (const char *)args + 8 * i, 8);
    return v;
}

/* args {float *x, float *y, float *z, int64_t n}: z[i] = x[i] + y[i] over this block's contiguous share of [0, n) */
ACLSIM_KERNEL void aclsim_add_f32(uint32_t blockIdx, uint32_t numBlocks, const void *args, size_t argsSize)
{
    if (args == NULL || argsSize < 32) return;
    const float *x = slot_ptr(args, 0), *y = slot_ptr(args, 1);
    float *z = slot_ptr(args, 2);
    int64_t start, end;
    block_share(blockIdx, numBlocks, slot_i64(args, 3), &start, &end);
    for (int64_t i = start; i < end; i++) z[i] = x[i] + y[i];
}

/* args {float *x, int64_t n, float s (low 4 bytes of its slot)}: x[i] *= s */
ACLSIM_KERNEL void aclsim_scale_f32(uint32_t blockIdx, uint32_t numBlocks, const void *args, size_t argsSize)
{
    if (args == NULL || argsSize < 20) return;
    float *x = slot_ptr(args, 0);
    float s;
    memcpy(&s, (const char *)args + 16, 4);
    int64_t start, end;
    block_share(blockIdx, numBlocks, slot_i64(args, 1), &start, &end);
    for (int64_t i = start; i < end; i++) x[i] *= s;
}
