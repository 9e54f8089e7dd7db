/*
 * Tiling block of the AscendC kernel moe_topk_gating (see moe_topk_gating.cpp and README.md).
 *
 * The host fills one MoeTopKGatingTiling, copies its 36 bytes to device memory and passes that address as the
 * kernel's last GM_ADDR argument. The kernel reads it word by word (int32 words 0..7, float word 8), so the layout
 * below is the contract: nine 4-byte words, no padding, little-endian.
 *
 * Host-side limits (the kernel cannot report errors, so the launcher must check them):
 *   1 <= experts <= MOE_TOPK_GATING_MAX_EXPERTS (every per-token buffer lives in the 192 KiB unified buffer),
 *   groups >= 1 and experts % groups == 0, 1 <= topKGroups <= groups,
 *   1 <= topK <= topKGroups * (experts / groups), tokens >= 0.
 */
#ifndef MOE_TOPK_GATING_TILING_H
#define MOE_TOPK_GATING_TILING_H

#include <stdint.h>

#define MOE_TOPK_GATING_MAX_EXPERTS 2048

/* Word indices of the fields, as the kernel reads them. */
#define MOE_TILING_TOKENS 0
#define MOE_TILING_EXPERTS 1
#define MOE_TILING_TOP_K 2
#define MOE_TILING_GROUPS 3
#define MOE_TILING_TOP_K_GROUPS 4
#define MOE_TILING_HAS_BIAS 5
#define MOE_TILING_SIGMOID 6
#define MOE_TILING_RENORMALIZE 7
#define MOE_TILING_ROUTED_SCALE 8
#define MOE_TILING_WORDS 9

typedef struct MoeTopKGatingTiling {
    int32_t tokens;      /* T: rows of logits */
    int32_t experts;     /* E: columns of logits, length of bias */
    int32_t topK;        /* k: experts chosen per token (columns of weights and ids) */
    int32_t groups;      /* G: equal expert groups, 1 = no group-limited routing */
    int32_t topKGroups;  /* groups kept per token */
    int32_t hasBias;     /* 1: bias (F32 [E]) is given; it only steers the selection */
    int32_t sigmoid;     /* 1: s = sigmoid(logits), 0: s = softmax(logits) over the row */
    int32_t renormalize; /* 1: weights renormalised to sum 1 (the kernel always does so for sigmoid) */
    float routedScale;   /* final factor on the weights (2.5 for DeepSeek-V3) */
} MoeTopKGatingTiling;

#if defined(__cplusplus)
static_assert(sizeof(MoeTopKGatingTiling) == MOE_TILING_WORDS * 4, "MoeTopKGatingTiling must be 9 packed words");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(MoeTopKGatingTiling) == MOE_TILING_WORDS * 4, "MoeTopKGatingTiling must be 9 packed words");
#endif

#endif /* MOE_TOPK_GATING_TILING_H */
