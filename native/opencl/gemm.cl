#include "common.h"

// GEMM family. C = alpha·op(A)·op(B) + beta·C in F32; IN_DT is the storage of A and B, OUT_DT of C.
// TRANS_A (0/1) is a build option: A is [M,K] or [K,M]. beta == 0 never reads C (NaN in C must not leak).
//
//   gemm_nn        B is [K,N]. A work-item owns RM rows × 16 columns of C: float16 accumulators, B rows loaded as
//                  vectors, A elements broadcast (one vector FMA per row and k). No local memory.
//   gemm_nn_local  The same register block, but the work-group (LX × LY items, a BM × BN tile) stages KC-deep
//                  chunks of A and B in __local, so it walks K in lock-step and its working set stays in cache.
//                  B is staged panel-major (each item's KC × 16 slice contiguous), which also avoids cache-set
//                  aliasing with power-of-two row strides. Pays for the copies; wins when K is long.
//   gemm_nt        B is [N,K] (PyTorch Linear weights). A work-item owns RN rows × CN columns and walks K in float8
//                  steps: both operands are contiguous along K.
//   grouped_*      The MoE expert GEMM. grouped_tiles turns the device-resident expert offsets into a list of row
//                  tiles (expert, first row, end row) so one launch covers every expert and empty groups cost nothing.
//
// On PoCL every fixed-trip loop over the register block must be unrolled explicitly, or the accumulators live in
// memory (2–4× slower); fma() is used because mad() is a separate multiply and add without -cl-mad-enable.

#define RM 8
#define RN 4
#define CN 4
#define TILE_ROWS 32

#if IN_DT == DT_F32
#define LOAD16_IN(p, i) vload16(0, (p) + (i))
#elif IN_DT == DT_F16
#define LOAD16_IN(p, i) (float16)(load_half8((p) + (i)), load_half8((p) + (i) + 8)) // see load_half8
#else
#define LOAD16_IN(p, i) as_float16(convert_uint16(vload16(0, (p) + (i))) << 16)
#endif

#if TRANS_A
#define A_AT(A, ao, lda, i, k) LOAD_IN(A, (ao) + (long)(k) * (lda) + (i))
#else
#define A_AT(A, ao, lda, i, k) LOAD_IN(A, (ao) + (long)(i) * (lda) + (k))
#endif

// C[at .. at+cols) = alpha·acc + beta·C (C read only when beta ≠ 0).
inline void store_row16(__global OUT_T* C, long at, int cols, float16 acc, float alpha, float beta)
{
#if OUT_DT == DT_F32
    if (cols == 16) {
        float16 r = alpha * acc;
        if (beta != 0.0f) r = fma((float16)beta, vload16(0, C + at), r);
        vstore16(r, 0, C + at);
        return;
    }
#endif
    float v[16];
    vstore16(alpha * acc, 0, v);
    for (int c = 0; c < cols; c++) {
        float o = v[c];
        if (beta != 0.0f) o = fma(beta, LOAD_OUT(C, at + c), o);
        STORE_OUT(C, at + c, o);
    }
}

// The RM × 16 register block: rows i0.. of A (leading dimension lda, TRANS_A), B [K, ldb] from column j0.
inline void block_nn(int i0, int rows, int j0, int cols, int K,
                     __global const IN_T* A, long ao, int lda,
                     __global const IN_T* B, long bo, int ldb,
                     __global OUT_T* C, long co, int ldc, float alpha, float beta)
{
    float16 acc[RM];
    _Pragma("unroll") for (int r = 0; r < RM; r++) acc[r] = (float16)0.0f;
    if (rows == RM && cols == 16) {
        for (int k = 0; k < K; k++) {
            float16 b = LOAD16_IN(B, bo + (long)k * ldb + j0);
            _Pragma("unroll") for (int r = 0; r < RM; r++) acc[r] = fma((float16)A_AT(A, ao, lda, i0 + r, k), b, acc[r]);
        }
    } else {
        // Edge block: B columns past the end read as 0; rows past the end re-read the last row and are not stored.
        for (int k = 0; k < K; k++) {
            float t[16];
            _Pragma("unroll") for (int c = 0; c < 16; c++) t[c] = c < cols ? LOAD_IN(B, bo + (long)k * ldb + j0 + c) : 0.0f;
            float16 b = vload16(0, t);
            _Pragma("unroll") for (int r = 0; r < RM; r++) acc[r] = fma((float16)A_AT(A, ao, lda, i0 + min(r, rows - 1), k), b, acc[r]);
        }
    }
    _Pragma("unroll") for (int r = 0; r < RM; r++) {
        if (r < rows) store_row16(C, co + (long)(i0 + r) * ldc + j0, cols, acc[r], alpha, beta);
    }
}

// The RN × CN block of the NT kernels: out[i, j] = Σ_k A[i, k]·B[j, k], B rows of K elements at bo + j·ldb.
inline void block_nt(int i0, int rows, int j0, int cols, int K,
                     __global const IN_T* A, long ao, int lda,
                     __global const IN_T* B, long bo, int ldb,
                     __global OUT_T* C, long co, int ldc, float alpha, float beta)
{
    float8 acc[RN][CN];
    int ri[RN], cj[CN];
    _Pragma("unroll") for (int r = 0; r < RN; r++) {
        ri[r] = i0 + min(r, rows - 1);
        _Pragma("unroll") for (int c = 0; c < CN; c++) acc[r][c] = (float8)0.0f;
    }
    _Pragma("unroll") for (int c = 0; c < CN; c++) cj[c] = j0 + min(c, cols - 1);
    int kv = K & ~7;
    for (int k = 0; k < kv; k += 8) {
        float8 a[RN], b[CN];
#if TRANS_A
        _Pragma("unroll") for (int r = 0; r < RN; r++) {
            float t[8];
            _Pragma("unroll") for (int q = 0; q < 8; q++) t[q] = A_AT(A, ao, lda, ri[r], k + q);
            a[r] = vload8(0, t);
        }
#else
        _Pragma("unroll") for (int r = 0; r < RN; r++) a[r] = LOAD8_IN(A, ao + (long)ri[r] * lda + k);
#endif
        _Pragma("unroll") for (int c = 0; c < CN; c++) b[c] = LOAD8_IN(B, bo + (long)cj[c] * ldb + k);
        _Pragma("unroll") for (int r = 0; r < RN; r++) {
            _Pragma("unroll") for (int c = 0; c < CN; c++) acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            float8 v = acc[r][c];
            float s = ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7));
            for (int k = kv; k < K; k++) s = fma(A_AT(A, ao, lda, ri[r], k), LOAD_IN(B, bo + (long)cj[c] * ldb + k), s);
            long at = co + (long)(i0 + r) * ldc + j0 + c;
            float o = alpha * s;
            if (beta != 0.0f) o = fma(beta, LOAD_OUT(C, at), o);
            STORE_OUT(C, at, o);
        }
    }
}

// Global size: (ceil(N/16), ceil(M/RM), batch), rounded up to the work-group size.
// lda, ldb, ldc: row strides (leading dimensions) of A, B and C as stored; sa, sb, sc: batch strides.
__kernel void gemm_nn(const int M, const int N, const int K,
                      __global const IN_T* A, const long ao, const long sa, const int lda,
                      __global const IN_T* B, const long bo, const long sb, const int ldb,
                      __global OUT_T* C, const long co, const long sc, const int ldc, const float alpha, const float beta)
{
    int j0 = get_global_id(0) * 16, i0 = get_global_id(1) * RM;
    long b = get_global_id(2);
    if (j0 >= N || i0 >= M) return;
    block_nn(i0, min(RM, M - i0), j0, min(16, N - j0), K, A, ao + b * sa, lda, B, bo + b * sb, ldb,
             C, co + b * sc, ldc, alpha, beta);
}

#ifdef KC
// Work-group LX × LY; tile BM = RM·LY rows × BN = 16·LX columns. Global size: (ceil(M/BM)·LX, ceil(N/BN)·LY, batch).
// Dimension 0 enumerates row tiles, so consecutive work-groups share one B column tile (warm in cache).
#define BM (RM * LY)
#define BN (16 * LX)
#define NT (LX * LY)
#define BIDX(k, c) (((c) / 16) * (KC * 16) + (k) * 16 + (c) % 16)

__kernel __attribute__((reqd_work_group_size(LX, LY, 1)))
void gemm_nn_local(const int M, const int N, const int K,
                   __global const IN_T* A, const long ao0, const long sa, const int lda,
                   __global const IN_T* B, const long bo0, const long sb, const int ldb,
                   __global OUT_T* C, const long co0, const long sc, const int ldc, const float alpha, const float beta)
{
    __local float Bs[KC * BN];
    __local float As[BM * KC];
    const int lx = get_local_id(0), ly = get_local_id(1), lid = ly * LX + lx;
    const int m0 = get_group_id(0) * BM, n0 = get_group_id(1) * BN;
    const int row0 = m0 + ly * RM, col0 = n0 + lx * 16;
    const long bt = get_global_id(2);
    const long ao = ao0 + bt * sa, bo = bo0 + bt * sb, co = co0 + bt * sc;
    const int active = row0 < M && col0 < N;   // idle items still copy and meet every barrier

    float16 acc[RM];
    _Pragma("unroll") for (int i = 0; i < RM; i++) acc[i] = (float16)0.0f;

    for (int k0 = 0; k0 < K; k0 += KC) {
        const int kc = min(KC, K - k0);
        for (int t = lid; t < KC * (BN / 16); t += NT) {
            const int r = t / (BN / 16), c = (t % (BN / 16)) * 16;
            if (r < kc && n0 + c < N) {
                long src = bo + (long)(k0 + r) * ldb + n0 + c;
                float16 x;
                if (n0 + c + 16 <= N) {
                    x = LOAD16_IN(B, src);
                } else {
                    float tmp[16];
                    for (int j = 0; j < 16; j++) tmp[j] = n0 + c + j < N ? LOAD_IN(B, src + j) : 0.0f;
                    x = vload16(0, tmp);
                }
                vstore16(x, 0, Bs + BIDX(r, c));
            }
        }
        for (int t = lid; t < BM * (KC / 16); t += NT) {
            const int m = t / (KC / 16), k = (t % (KC / 16)) * 16;
            if (m0 + m < M && k < kc) {
                float16 x;
#if !TRANS_A
                if (k + 16 <= kc) {
                    x = LOAD16_IN(A, ao + (long)(m0 + m) * lda + k0 + k);
                } else
#endif
                {
                    float tmp[16];
                    for (int j = 0; j < 16; j++) tmp[j] = k + j < kc ? A_AT(A, ao, lda, m0 + m, k0 + k + j) : 0.0f;
                    x = vload16(0, tmp);
                }
                vstore16(x, 0, As + m * KC + k);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            const __local float* bp = Bs + BIDX(0, lx * 16);
            const __local float* ap = As + (ly * RM) * KC;
            const int ilast = min(RM, M - row0) - 1;
            for (int k = 0; k < kc; k++) {
                float16 b = vload16(0, bp + k * 16);
                _Pragma("unroll") for (int i = 0; i < RM; i++) acc[i] = fma((float16)ap[min(i, ilast) * KC + k], b, acc[i]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!active) return;
    const int nr = min(RM, M - row0), nc = min(16, N - col0);
    _Pragma("unroll") for (int i = 0; i < RM; i++) {
        if (i < nr) store_row16(C, co + (long)(row0 + i) * ldc + col0, nc, acc[i], alpha, beta);
    }
}
#endif

// Global size: (ceil(N/CN), ceil(M/RN), batch).
__kernel void gemm_nt(const int M, const int N, const int K,
                      __global const IN_T* A, const long ao, const long sa, const int lda,
                      __global const IN_T* B, const long bo, const long sb, const int ldb,
                      __global OUT_T* C, const long co, const long sc, const int ldc, const float alpha, const float beta)
{
    int j0 = get_global_id(0) * CN, i0 = get_global_id(1) * RN;
    long b = get_global_id(2);
    if (j0 >= N || i0 >= M) return;
    block_nt(i0, min(RN, M - i0), j0, min(CN, N - j0), K, A, ao + b * sa, lda, B, bo + b * sb, ldb,
             C, co + b * sc, ldc, alpha, beta);
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

// Weights [E, N, K]; rows of A lda apart, of C ldc apart. Global size: (ceil(N/CN), max_tiles · TILE_ROWS/RN).
__kernel void grouped_nt(const int R, const int N, const int K,
                         __global const IN_T* A, const long ao, __global const IN_T* W, const long wo,
                         __global OUT_T* C, const long co, __global const int* tiles, const int lda, const int ldc)
{
    int j0 = get_global_id(0) * CN;
    int tile = get_global_id(1) / (TILE_ROWS / RN), sub = get_global_id(1) % (TILE_ROWS / RN);
    if (j0 >= N || tile >= tiles[0]) return;
    int e = tiles[1 + 3 * tile], i0 = tiles[2 + 3 * tile] + sub * RN, end = tiles[3 + 3 * tile];
    if (i0 >= end) return;
    int rows = min(RN, end - i0), cols = min(CN, N - j0);
    if (e < 0) { zero_rows(C, co, i0, rows, j0, cols, ldc); return; }
    block_nt(i0, rows, j0, cols, K, A, ao, lda, W, wo + (long)e * N * K, K, C, co, ldc, 1.0f, 0.0f);
}

// Weights [E, K, N]; rows of A lda apart, of C ldc apart. Global size: (ceil(N/16), max_tiles · TILE_ROWS/RM).
__kernel void grouped_nn(const int R, const int N, const int K,
                         __global const IN_T* A, const long ao, __global const IN_T* W, const long wo,
                         __global OUT_T* C, const long co, __global const int* tiles, const int lda, const int ldc)
{
    int j0 = get_global_id(0) * 16;
    int tile = get_global_id(1) / (TILE_ROWS / RM), sub = get_global_id(1) % (TILE_ROWS / RM);
    if (j0 >= N || tile >= tiles[0]) return;
    int e = tiles[1 + 3 * tile], i0 = tiles[2 + 3 * tile] + sub * RM, end = tiles[3 + 3 * tile];
    if (i0 >= end) return;
    int rows = min(RM, end - i0), cols = min(16, N - j0);
    if (e < 0) { zero_rows(C, co, i0, rows, j0, cols, ldc); return; }
    block_nn(i0, rows, j0, cols, K, A, ao, lda, W, wo + (long)e * K * N, N, C, co, ldc, 1.0f, 0.0f);
}
