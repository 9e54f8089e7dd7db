#include "common.h"

// ---------------------------------------------------------------------------------------------------------------
// Router: one work-item per token. With NE (experts) fixed at build time the scratch arrays live in registers/private
// memory; with LARGE_NE (expert counts too large for private memory) they live in `work`, `stride` bytes per token of
// this launch, and the expert count is the argument ne. One launch routes tokens t0 .. end − 1 (`tokens` is end).
// Comparisons are strict while scanning upwards, so ties go to the lower id; NaN scores count as −inf.
// ---------------------------------------------------------------------------------------------------------------
#if defined(NE) || defined(LARGE_NE)
#ifdef LARGE_NE
#define NEV ne
#else
#define NEV NE
#endif
__kernel void topk_gating(__global const float* logits, const long lo, __global const float* bias, const long bo,
                          const int has_bias, __global float* weights, const long wo, __global int* ids, const long io,
                          const int tokens, const int k, const int sigmoid_score, const int groups, const int kgroups,
                          const int renorm, const float scale, const int ne, const int t0,
                          __global uchar* work, const long stride)
{
    int t = t0 + get_global_id(0);
    if (t >= tokens) return;
#ifdef LARGE_NE
    __global uchar* mine = work + (long)get_global_id(0) * stride;
    __global float* s = (__global float*)mine;
    __global float* key = s + ne;
    __global float* gs = key + ne;
    __global uchar* elig = (__global uchar*)(gs + ne);
    __global uchar* taken = elig + ne;
#else
    float s[NE], key[NE];
    uchar elig[NE];
#endif
    __global const float* l = logits + lo + (long)t * NEV;
    if (sigmoid_score) {
        for (int e = 0; e < NEV; e++) s[e] = 1.0f / (1.0f + exp(-l[e]));
    } else {
        // fmax skips NaN, but exp(NaN − m) then makes the sum, and every score, NaN: as the reference.
        float m = -INFINITY;
        for (int e = 0; e < NEV; e++) m = fmax(m, l[e]);
        float sum = 0.0f;
        for (int e = 0; e < NEV; e++) { s[e] = exp(l[e] - m); sum += s[e]; }
        for (int e = 0; e < NEV; e++) s[e] = s[e] / sum;
    }
    for (int e = 0; e < NEV; e++) {
        float v = s[e] + (has_bias ? bias[bo + e] : 0.0f);
        key[e] = isnan(v) ? -INFINITY : v;
        elig[e] = groups > 1 ? 0 : 1;
    }
    if (groups > 1) {
        int size = NEV / groups;
#ifndef LARGE_NE
        float gs[NE];
        uchar taken[NE];
#endif
        for (int g = 0; g < groups; g++) {
            float best = -INFINITY, second = -INFINITY;
            for (int e = g * size; e < (g + 1) * size; e++) {
                float v = key[e];
                if (v > best) { second = best; best = v; } else if (v > second) { second = v; }
            }
            float score = has_bias ? best + second : best;
            gs[g] = isnan(score) ? -INFINITY : score;
            taken[g] = 0;
        }
        for (int round = 0; round < kgroups; round++) {
            int bg = -1;
            for (int g = 0; g < groups; g++) if (!taken[g] && (bg < 0 || gs[g] > gs[bg])) bg = g;
            taken[bg] = 1;
            for (int e = bg * size; e < (bg + 1) * size; e++) elig[e] = 1;
        }
    }
    float wsum = 0.0f;
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int e = 0; e < NEV; e++) if (elig[e] && (best < 0 || key[e] > key[best])) best = e;
        elig[best] = 0;
        ids[io + (long)t * k + j] = best;
        weights[wo + (long)t * k + j] = s[best];
        wsum += s[best];
    }
    for (int j = 0; j < k; j++) {
        long w = wo + (long)t * k + j;
        weights[w] = (renorm ? weights[w] / wsum : weights[w]) * scale;
    }
}
#endif

// ---------------------------------------------------------------------------------------------------------------
// Permute, step 1 (one work-item): a stable counting sort of the T·k choices by expert. Choices with an id outside
// [0, E) are dropped (slot −1). `next` is E ints of scratch.
// ---------------------------------------------------------------------------------------------------------------
__kernel void moe_permute_index(__global const int* ids, const long io, const int choices, const int k, const int experts,
                                __global int* offsets, const long oo, __global int* slot_of, const long so,
                                __global int* row_source, const long ro, __global int* next)
{
    if (get_global_id(0) != 0) return;
    for (int e = 0; e < experts; e++) next[e] = 0;
    for (int i = 0; i < choices; i++) {
        int e = ids[io + i];
        if (e >= 0 && e < experts) next[e]++;
    }
    int run = 0;
    for (int e = 0; e < experts; e++) { offsets[oo + e] = run; int c = next[e]; next[e] = run; run += c; }
    offsets[oo + experts] = run;
    for (int p = 0; p < choices; p++) row_source[ro + p] = -1;
    for (int i = 0; i < choices; i++) {
        int e = ids[io + i];
        if (e >= 0 && e < experts) {
            int p = next[e]++;
            slot_of[so + i] = p;
            row_source[ro + p] = i / k;
        } else {
            slot_of[so + i] = -1;
        }
    }
}

#ifdef IN_DT
// Permute, step 2: permuted[p, :] = tokens[row_source[p], :], or 0 for rows past the last group.
// Work-item (c, p) copies a run of CHUNK columns of row p in float8 steps: long runs suit CPU devices, and
// consecutive items still touch consecutive memory on GPUs.
#define CHUNK 256
__kernel void moe_permute_gather(__global const IN_T* tokens, const long to, __global OUT_T* permuted, const long po,
                                 __global const int* row_source, const long ro, const int hidden)
{
    long c0 = (long)get_global_id(0) * CHUNK, p = get_global_id(1);
    if (c0 >= hidden) return;
    long c1 = min(c0 + CHUNK, (long)hidden);
    int token = row_source[ro + p];
    long dst = po + p * hidden;
    if (token < 0) {
        for (long j = c0; j < c1; j++) STORE_OUT(permuted, dst + j, 0.0f);
        return;
    }
    long src = to + (long)token * hidden;
    long c = c0;
    for (; c + 8 <= c1; c += 8) STORE8_OUT(permuted, dst + c, LOAD8_IN(tokens, src + c));
    for (; c < c1; c++) STORE_OUT(permuted, dst + c, LOAD_IN(tokens, src + c));
}

// Unpermute: out[t, h] = Σ_j w[t, j] · expert_out[slot_of[t, j], h], in j order; slots outside [0, rows) add nothing.
__kernel void moe_unpermute(__global const IN_T* eo, const long eoo, __global const int* slot_of, const long so,
                            __global const float* w, const long wo, __global OUT_T* out, const long oo,
                            const int hidden, const int k, const int rows)
{
    long c = (long)get_global_id(0) * 8, t = get_global_id(1);
    if (c >= hidden) return;
    if (c + 8 <= hidden) {
        float8 acc = (float8)0.0f;
        for (int j = 0; j < k; j++) {
            int s = slot_of[so + t * k + j];
            if (s >= 0 && s < rows) acc += w[wo + t * k + j] * LOAD8_IN(eo, eoo + (long)s * hidden + c);
        }
        STORE8_OUT(out, oo + t * hidden + c, acc);
    } else {
        for (long h = c; h < hidden; h++) {
            float acc = 0.0f;
            for (int j = 0; j < k; j++) {
                int s = slot_of[so + t * k + j];
                if (s >= 0 && s < rows) acc += w[wo + t * k + j] * LOAD_IN(eo, eoo + (long)s * hidden + h);
            }
            STORE_OUT(out, oo + t * hidden + h, acc);
        }
    }
}
#endif
