#include "common.h"

// GEMM family. C = alpha·op(A)·op(B) + beta·C in F32; IN_DT is the storage of A and B, OUT_DT of C.
// TRANS_A (0/1) is a build option: A is [M,K] or [K,M]. beta == 0 never reads C (NaN in C must not leak).
//   gemm_nn:  B is [K,N]. A work-item owns RM rows × 16 columns: float16 accumulators, B rows loaded as vectors,
//             A elements broadcast. No local memory: on CPU devices (PoCL) the work-group's working set stays in
//             cache and barriers only cost; on GPUs the 16-wide rows give coalesced loads.
//   gemm_nt:  B is [N,K] (PyTorch Linear weights). A work-item owns RN rows × CN columns and walks K in float8
//             steps: both operands are contiguous along K.
//   grouped_*: the MoE expert GEMM. grouped_tiles turns the device-resident expert offsets into a list of
//             row tiles (expert, first row, end row) so one launch covers every expert and empty groups cost nothing.

#define RM 8
#define RN 4
#define CN 4
#define TILE_ROWS 32

#if IN_DT == DT_F32
#define LOAD16_IN(p, i) vload16(0, (p) + (i))
#elif IN_DT == DT_F16
#define LOAD16_IN(p, i) vload_half16(0, (p) + (i))
#else
#define LOAD16_IN(p, i) as_float16(convert_uint16(vload16(0, (p) + (i))) << 16)
#endif

#if TRANS_A
#define A_AT(A, ao, lda, i, k) LOAD_IN(A, (ao) + (long)(k) * (lda) + (i))
#else
#define A_AT(A, ao, lda, i, k) LOAD_IN(A, (ao) + (long)(i) * (lda) + (k))
#endif

// C[i, j0..j0+16) = alpha·acc + beta·C, only the columns < n.
inline void store_row16(__global OUT_T* C, long at, int cols, float16 acc, float alpha, float beta)
{
    float v[16];
    vstore16(alpha * acc, 0, v);
    for (int c = 0; c < cols; c++) {
        float o = v[c];
        if (beta != 0.0f) o += beta * LOAD_OUT(C, at + c);
        STORE_OUT(C, at + c, o);
    }
}

// The RM×16 register block of the NN kernels: rows i0.. of A (lda, TRANS_A), B [K, ldb] from column j0.
inline void block_nn(int i0, int rows, int j0, int cols, int K,
                     __global const IN_T* A, long ao, int lda, int arows,
                     __global const IN_T* B, long bo, int ldb,
                     __global OUT_T* C, long co, int ldc, float alpha, float beta)
{
    float16 acc[RM];
    for (int r = 0; r < RM; r++) acc[r] = (float16)0.0f;
    // Rows past the block are clamped to a valid row and never stored: no branch in the inner loop.
    int ri[RM];
    for (int r = 0; r < RM; r++) ri[r] = min(i0 + r, arows - 1);
    if (cols == 16) {
        for (int k = 0; k < K; k++) {
            float16 b = LOAD16_IN(B, bo + (long)k * ldb + j0);
            for (int r = 0; r < RM; r++) acc[r] = mad((float16)A_AT(A, ao, lda, ri[r], k), b, acc[r]);
        }
    } else {
        for (int k = 0; k < K; k++) {
            float t[16];
            for (int c = 0; c < 16; c++) t[c] = c < cols ? LOAD_IN(B, bo + (long)k * ldb + j0 + c) : 0.0f;
            float16 b = vload16(0, t);
            for (int r = 0; r < RM; r++) acc[r] = mad((float16)A_AT(A, ao, lda, ri[r], k), b, acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) store_row16(C, co + (long)(i0 + r) * ldc + j0, cols, acc[r], alpha, beta);
}

// The RN×CN block of the NT kernels: out[i, j] = Σ_k A[i, k]·B[j, k], B rows of length K at bo + j·K.
inline void block_nt(int i0, int rows, int j0, int cols, int K,
                     __global const IN_T* A, long ao, int lda, int arows,
                     __global const IN_T* B, long bo, int brows,
                     __global OUT_T* C, long co, int ldc, float alpha, float beta)
{
    float8 acc[RN][CN];
    for (int r = 0; r < RN; r++) for (int c = 0; c < CN; c++) acc[r][c] = (float8)0.0f;
    int ri[RN], cj[CN];
    for (int r = 0; r < RN; r++) ri[r] = min(i0 + r, arows - 1);
    for (int c = 0; c < CN; c++) cj[c] = min(j0 + c, brows - 1);
    int kv = K & ~7;
    for (int k = 0; k < kv; k += 8) {
        float8 a[RN], b[CN];
#if TRANS_A
        for (int r = 0; r < RN; r++) {
            float t[8];
            for (int q = 0; q < 8; q++) t[q] = A_AT(A, ao, lda, ri[r], k + q);
            a[r] = vload8(0, t);
        }
#else
        for (int r = 0; r < RN; r++) a[r] = LOAD8_IN(A, ao + (long)ri[r] * lda + k);
#endif
        for (int c = 0; c < CN; c++) b[c] = LOAD8_IN(B, bo + (long)cj[c] * K + k);
        for (int r = 0; r < RN; r++) for (int c = 0; c < CN; c++) acc[r][c] = mad(a[r], b[c], acc[r][c]);
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            float8 v = acc[r][c];
            float s = ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
            for (int k = kv; k < K; k++) s = mad(A_AT(A, ao, lda, ri[r], k), LOAD_IN(B, bo + (long)cj[c] * K + k), s);
            long at = co + (long)(i0 + r) * ldc + j0 + c;
            float o = alpha * s;
            if (beta != 0.0f) o += beta * LOAD_OUT(C, at);
            STORE_OUT(C, at, o);
        }
    }
}

// Global size: (ceil(N/16), ceil(M/RM), batch).
__kernel void gemm_nn(const int M, const int N, const int K,
                      __global const IN_T* A, const long ao, const long sa,
                      __global const IN_T* B, const long bo, const long sb,
                      __global OUT_T* C, const long co, const float alpha, const float beta)
{
    int j0 = get_global_id(0) * 16, i0 = get_global_id(1) * RM;
    long b = get_global_id(2);
    if (j0 >= N || i0 >= M) return;
    int lda = TRANS_A ? M : K;
    block_nn(i0, min(RM, M - i0), j0, min(16, N - j0), K, A, ao + b * sa, lda, M, B, bo + b * sb, N,
             C, co + b * (long)M * N, N, alpha, beta);
}

// Global size: (ceil(N/CN), ceil(M/RN), batch).
__kernel void gemm_nt(const int M, const int N, const int K,
                      __global const IN_T* A, const long ao, const long sa,
                      __global const IN_T* B, const long bo, const long sb,
                      __global OUT_T* C, const long co, const float alpha, const float beta)
{
    int j0 = get_global_id(0) * CN, i0 = get_global_id(1) * RN;
    long b = get_global_id(2);
    if (j0 >= N || i0 >= M) return;
    int lda = TRANS_A ? M : K;
    block_nt(i0, min(RN, M - i0), j0, min(CN, N - j0), K, A, ao + b * sa, lda, M, B, bo + b * sb, N,
             C, co + b * (long)M * N, N, alpha, beta);
}

// One work-item: clamp the offsets (to [0, R], non-decreasing), then list row tiles of at most TILE_ROWS rows:
// (expert, first, end) per tile, expert −1 for rows outside every group (they are zeroed). tiles[0] = count.
__kernel void grouped_tiles(__global const int* offsets, const long oo, const int experts, const int rows,
                            __global int* tiles, const int max_tiles)
{
    if (get_global_id(0) != 0) return;
    int n = 0;
    int prev = clamp(offsets[oo], 0, rows);
    int first = prev;
    for (int r = 0; r < first && n < max_tiles; r += TILE_ROWS, n++) {
        tiles[1 + 3 * n] = -1; tiles[2 + 3 * n] = r; tiles[3 + 3 * n] = min(r + TILE_ROWS, first);
    }
    for (int e = 0; e < experts; e++) {
        int end = max(prev, clamp(offsets[oo + e + 1], 0, rows));
        for (int r = prev; r < end && n < max_tiles; r += TILE_ROWS, n++) {
            tiles[1 + 3 * n] = e; tiles[2 + 3 * n] = r; tiles[3 + 3 * n] = min(r + TILE_ROWS, end);
        }
        prev = end;
    }
    for (int r = prev; r < rows && n < max_tiles; r += TILE_ROWS, n++) {
        tiles[1 + 3 * n] = -1; tiles[2 + 3 * n] = r; tiles[3 + 3 * n] = min(r + TILE_ROWS, rows);
    }
    tiles[0] = n;
}

inline void zero_rows(__global OUT_T* C, long co, int i0, int rows, int j0, int cols, int ldc)
{
    for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) STORE_OUT(C, co + (long)(i0 + r) * ldc + j0 + c, 0.0f);
}

// Weights [E, N, K]. Global size: (ceil(N/CN), max_tiles · TILE_ROWS/RN).
__kernel void grouped_nt(const int R, const int N, const int K,
                         __global const IN_T* A, const long ao, __global const IN_T* W, const long wo,
                         __global OUT_T* C, const long co, __global const int* tiles)
{
    int j0 = get_global_id(0) * CN;
    int tile = get_global_id(1) / (TILE_ROWS / RN), sub = get_global_id(1) % (TILE_ROWS / RN);
    if (j0 >= N || tile >= tiles[0]) return;
    int e = tiles[1 + 3 * tile], i0 = tiles[2 + 3 * tile] + sub * RN, end = tiles[3 + 3 * tile];
    if (i0 >= end) return;
    int rows = min(RN, end - i0), cols = min(CN, N - j0);
    if (e < 0) { zero_rows(C, co, i0, rows, j0, cols, N); return; }
    block_nt(i0, rows, j0, cols, K, A, ao, K, R, W, wo + (long)e * N * K, N, C, co, N, 1.0f, 0.0f);
}

// Weights [E, K, N]. Global size: (ceil(N/16), max_tiles · TILE_ROWS/RM).
__kernel void grouped_nn(const int R, const int N, const int K,
                         __global const IN_T* A, const long ao, __global const IN_T* W, const long wo,
                         __global OUT_T* C, const long co, __global const int* tiles)
{
    int j0 = get_global_id(0) * 16;
    int tile = get_global_id(1) / (TILE_ROWS / RM), sub = get_global_id(1) % (TILE_ROWS / RM);
    if (j0 >= N || tile >= tiles[0]) return;
    int e = tiles[1 + 3 * tile], i0 = tiles[2 + 3 * tile] + sub * RM, end = tiles[3 + 3 * tile];
    if (i0 >= end) return;
    int rows = min(RM, end - i0), cols = min(16, N - j0);
    if (e < 0) { zero_rows(C, co, i0, rows, j0, cols, N); return; }
    block_nn(i0, rows, j0, cols, K, A, ao, K, R, W, wo + (long)e * K * N, N, C, co, N, 1.0f, 0.0f);
}
