/* libopapi: aclnnMatmul, aclnnBatchMatMul, aclnnGroupedMatmulV4. Float accumulation, k ascending. */
#include <stdlib.h>
#include <string.h>

#include "ops_common.h"

#define MATMUL_WORKSPACE 512u

/* out[b] = a[b] (MxK) * w[b] (KxN), all contiguous float */
static void gemm_rows(const float *a, const float *w, float *out, int64_t M, int64_t K, int64_t N)
{
    for (int64_t m = 0; m < M; m++) {
        float *o = out + m * N;
        for (int64_t n = 0; n < N; n++) o[n] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float av = a[m * K + k];
            const float *wr = w + k * N;
            for (int64_t n = 0; n < N; n++) o[n] += av * wr[n];
        }
    }
}

/* ---------------------------------------------------------------- Matmul / BatchMatMul */

static aclnnStatus run_matmul(aclOpExecutor *ex)
{
    const aclTensor *A = &ex->t[0], *B = &ex->t[1], *O = &ex->t[2];
    bool batched = O->ndim == 3;
    int64_t nb = batched ? O->dims[0] : 1;
    int64_t M = A->dims[A->ndim - 2], K = A->dims[A->ndim - 1], N = B->dims[B->ndim - 1];
    float *a = sim_gather(A), *w = sim_gather(B), *o = malloc((size_t)(nb * M * N > 0 ? nb * M * N : 1) * sizeof(float));
    aclnnStatus rc = ACLNN_SUCCESS;
    if (a == NULL || w == NULL || o == NULL) {
        rc = p2_oom(ex);
    } else {
        for (int64_t i = 0; i < nb; i++) gemm_rows(a + i * M * K, w + i * K * N, o + i * M * N, M, K, N);
        sim_scatter(O, o);
    }
    free(a);
    free(w);
    free(o);
    return rc;
}

static aclnnStatus matmul_body(p1 *b, const aclTensor *self, const aclTensor *mat2, const aclTensor *out,
                               int8_t cubeMathType, bool batched)
{
    P1_TRY(p1_tensor(b, 0, "self", self, true));
    P1_TRY(p1_tensor(b, 1, "mat2", mat2, true));
    P1_TRY(p1_tensor(b, 2, "out", out, true));
    const aclTensor *A = &b->ex->t[0], *B = &b->ex->t[1], *O = &b->ex->t[2];
    uint64_t r = batched ? 3 : 2;
    P1_TRY(p1_rank(b, "self", A, r));
    P1_TRY(p1_rank(b, "mat2", B, r));
    P1_TRY(p1_rank(b, "out", O, r));
    P1_TRY(p1_float_dtype(b, "self", A));
    P1_CHECK(B->dtype == A->dtype && O->dtype == A->dtype,
             "self, mat2 and out must have the same dtype (got %s, %s, %s)", DTYPE(A), DTYPE(B), DTYPE(O));
    P1_CHECK(cubeMathType >= 0 && cubeMathType <= 3, "cubeMathType %d is not 0..3", cubeMathType);
    uint64_t o = batched ? 1 : 0;
    if (batched)
        P1_CHECK(A->dims[0] == B->dims[0] && A->dims[0] == O->dims[0],
                 "batch sizes differ: self %s, mat2 %s, out %s (broadcast with a batch stride of 0)", SHAPE(A),
                 SHAPE(B), SHAPE(O));
    P1_CHECK(A->dims[o + 1] == B->dims[o], "inner dimensions differ: self %s, mat2 %s", SHAPE(A), SHAPE(B));
    P1_CHECK(O->dims[o] == A->dims[o] && O->dims[o + 1] == B->dims[o + 1],
             "out shape %s does not match self %s x mat2 %s", SHAPE(O), SHAPE(A), SHAPE(B));
    b->ex->i[0] = cubeMathType;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnMatmulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out,
                                                   int8_t cubeMathType, uint64_t *workspaceSize,
                                                   aclOpExecutor **executor)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnMatmulGetWorkspaceSize", OP_MATMUL, "aclnnMatmul", run_matmul,
                              workspaceSize, executor);
    if (rc == ACLNN_SUCCESS) rc = matmul_body(&b, self, mat2, out, cubeMathType, false);
    return p1_end(&b, rc, MATMUL_WORKSPACE, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnMatmul, OP_MATMUL)

ACLSIM_API aclnnStatus aclnnBatchMatMulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out,
                                                        int8_t cubeMathType, uint64_t *workspaceSize,
                                                        aclOpExecutor **executor)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnBatchMatMulGetWorkspaceSize", OP_BATCHMATMUL, "aclnnBatchMatMul",
                              run_matmul, workspaceSize, executor);
    if (rc == ACLNN_SUCCESS) rc = matmul_body(&b, self, mat2, out, cubeMathType, true);
    return p1_end(&b, rc, MATMUL_WORKSPACE, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnBatchMatMul, OP_BATCHMATMUL)

/* ---------------------------------------------------------------- GroupedMatmulV4 */

/* slots: 0 x [R,K], 1 weight [E,K,N], 2 groupList [E] (optional), 3 out [R,N]; i[0] = groupListType */
static aclnnStatus run_gmm(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0], *W = &ex->t[1], *G = &ex->t[2], *O = &ex->t[3];
    int64_t R = X->dims[0], K = X->dims[1], E = W->dims[0], N = W->dims[2];
    int64_t *bound = malloc((size_t)(E > 0 ? E : 1) * sizeof(int64_t));
    if (bound == NULL) return p2_oom(ex);
    if (ex->has[2]) {
        int64_t *g = sim_gather_i(G);
        if (g == NULL) {
            free(bound);
            return p2_oom(ex);
        }
        int64_t prev = 0;
        for (int64_t e = 0; e < E; e++) {
            int64_t v = ex->i[0] == 1 ? prev + g[e] : g[e];
            if (ex->i[0] == 1 && (g[e] < 0 || g[e] > R)) v = -1; /* a negative / huge count */
            if (v < prev || v > R) {
                aclnnStatus rc = p2_fail(ex, ST_INVALID,
                                         "groupList[%lld] = %lld gives group boundary %lld: boundaries must be "
                                         "non-decreasing and <= %lld rows (groupListType %lld)",
                                         (long long)e, (long long)g[e], (long long)v, (long long)R,
                                         (long long)ex->i[0]);
                free(g);
                free(bound);
                return rc;
            }
            bound[e] = prev = v;
        }
        free(g);
    } else {
        bound[0] = R; /* E == 1 checked in phase 1 */
    }
    int64_t last = E > 0 ? bound[E - 1] : 0;
    float *x = sim_gather(X), *w = sim_gather(W);
    float *o = malloc((size_t)(R * N > 0 ? R * N : 1) * sizeof(float));
    aclnnStatus rc = ACLNN_SUCCESS;
    if (x == NULL || w == NULL || o == NULL) {
        rc = p2_oom(ex);
    } else {
        int64_t start = 0;
        for (int64_t e = 0; e < E; e++) {
            gemm_rows(x + start * K, w + e * K * N, o + start * N, bound[e] - start, K, N);
            start = bound[e];
        }
        sim_scatter_range(O, o, 0, last * N); /* rows past the last boundary stay untouched */
    }
    free(bound);
    free(x);
    free(w);
    free(o);
    return rc;
}

static aclnnStatus gmm_body(p1 *b, const aclTensorList *x, const aclTensorList *weight,
                            const aclTensorList *const *unsupported, const char *const *unsupportedNames,
                            const aclTensor *groupList, int64_t splitItem, int64_t groupType, int64_t groupListType,
                            int64_t actType, aclTensorList *out)
{
    for (int i = 0; unsupportedNames[i] != NULL; i++)
        P1_CHECK(unsupported[i] == NULL, "%s must be NULL: it is not supported by acl-sim", unsupportedNames[i]);
    P1_TRY(p1_list1(b, 0, "x", x));
    P1_TRY(p1_list1(b, 1, "weight", weight));
    P1_TRY(p1_tensor(b, 2, "groupListOptional", groupList, false));
    P1_TRY(p1_list1(b, 3, "out", out));
    const aclTensor *X = &b->ex->t[0], *W = &b->ex->t[1], *G = &b->ex->t[2], *O = &b->ex->t[3];
    P1_TRY(p1_rank(b, "x[0]", X, 2));
    P1_TRY(p1_rank(b, "weight[0]", W, 3));
    P1_TRY(p1_rank(b, "out[0]", O, 2));
    P1_TRY(p1_float_dtype(b, "x[0]", X));
    P1_CHECK(W->dtype == X->dtype && O->dtype == X->dtype,
             "x, weight and out must have the same dtype (got %s, %s, %s)", DTYPE(X), DTYPE(W), DTYPE(O));
    P1_CHECK(W->dims[1] == X->dims[1], "x[0] %s and weight[0] %s: K differs", SHAPE(X), SHAPE(W));
    P1_CHECK(O->dims[0] == X->dims[0] && O->dims[1] == W->dims[2], "out[0] %s must be [%lld,%lld]", SHAPE(O),
             (long long)X->dims[0], (long long)W->dims[2]);
    if (b->ex->has[2]) {
        P1_TRY(p1_rank(b, "groupListOptional", G, 1));
        P1_TRY(p1_dtype(b, "groupListOptional", G, ACL_INT64));
        P1_CHECK(G->dims[0] == W->dims[0], "groupListOptional %s must have one entry per expert (weight[0] %s)",
                 SHAPE(G), SHAPE(W));
    } else {
        P1_CHECK(W->dims[0] == 1, "groupListOptional is NULL but weight[0] %s holds %lld groups", SHAPE(W),
                 (long long)W->dims[0]);
    }
    P1_CHECK(splitItem == 2 || splitItem == 3, "splitItem %lld is not supported by acl-sim (2 or 3: one output)",
             (long long)splitItem);
    P1_CHECK(groupType == 0, "groupType %lld is not supported by acl-sim (0: split along M)", (long long)groupType);
    P1_CHECK(groupListType == 0 || groupListType == 1, "groupListType %lld is not 0 (cumsum) or 1 (counts)",
             (long long)groupListType);
    P1_CHECK(actType == 0, "actType %lld is not supported by acl-sim (0: none)", (long long)actType);
    b->ex->i[0] = groupListType;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnGroupedMatmulV4GetWorkspaceSize(
    const aclTensorList *x, const aclTensorList *weight, const aclTensorList *biasOptional,
    const aclTensorList *scaleOptional, const aclTensorList *offsetOptional,
    const aclTensorList *antiquantScaleOptional, const aclTensorList *antiquantOffsetOptional,
    const aclTensorList *perTokenScaleOptional, const aclTensor *groupListOptional,
    const aclTensorList *activationInputOptional, const aclTensorList *activationQuantScaleOptional,
    const aclTensorList *activationQuantOffsetOptional, int64_t splitItem, int64_t groupType, int64_t groupListType,
    int64_t actType, aclTensorList *out, aclTensorList *activationFeatureOutOptional,
    aclTensorList *dynQuantScaleOutOptional, uint64_t *workspaceSize, aclOpExecutor **executor)
{
    const aclTensorList *const unsupported[] = {biasOptional,
                                                scaleOptional,
                                                offsetOptional,
                                                antiquantScaleOptional,
                                                antiquantOffsetOptional,
                                                perTokenScaleOptional,
                                                activationInputOptional,
                                                activationQuantScaleOptional,
                                                activationQuantOffsetOptional,
                                                activationFeatureOutOptional,
                                                dynQuantScaleOutOptional};
    static const char *const names[] = {"biasOptional",
                                        "scaleOptional",
                                        "offsetOptional",
                                        "antiquantScaleOptional",
                                        "antiquantOffsetOptional",
                                        "perTokenScaleOptional",
                                        "activationInputOptional",
                                        "activationQuantScaleOptional",
                                        "activationQuantOffsetOptional",
                                        "activationFeatureOutOptional",
                                        "dynQuantScaleOutOptional",
                                        NULL};
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnGroupedMatmulV4GetWorkspaceSize", OP_GROUPED_MATMUL_V4,
                              "aclnnGroupedMatmulV4", run_gmm, workspaceSize, executor);
    if (rc == ACLNN_SUCCESS)
        rc = gmm_body(&b, x, weight, unsupported, names, groupListOptional, splitItem, groupType, groupListType,
                      actType, out);
    return p1_end(&b, rc, MATMUL_WORKSPACE, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnGroupedMatmulV4, OP_GROUPED_MATMUL_V4)
