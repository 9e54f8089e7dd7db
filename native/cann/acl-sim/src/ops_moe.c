/* libopapi: aclnnMoeGatingTopK, aclnnMoeInitRoutingV2, aclnnMoeFinalizeRoutingV2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_common.h"

/* ranking: larger first; NaN below everything (-inf included); ties -> lower index */
static bool better(float a, int64_t ia, float b, int64_t ib)
{
    bool na = isnan(a), nb = isnan(b);
    if (na != nb) return nb;
    if (!na && a != b) return a > b;
    return ia < ib;
}

/* ---------------------------------------------------------------- MoeGatingTopK */

/* slots: 0 x [T,E], 1 bias [E], 2 yOut [T,k], 3 expertIdxOut [T,k] I32, 4 outOut [T,E] F32
   i: 0 k, 1 kGroup, 2 groupCount, 3 groupSelectMode, 4 normType, 5 outFlag; d: 0 routedScalingFactor, 1 eps */
static aclnnStatus run_gating(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0];
    int64_t T = X->dims[0], E = X->dims[1], k = ex->i[0], kGroup = ex->i[1], G = ex->i[2], mode = ex->i[3];
    int64_t gs = G > 0 ? E / G : 0;
    bool sigmoid = ex->i[4] == 1, outFlag = ex->i[5] != 0;
    float *x = sim_gather(X), *bias = ex->has[1] ? sim_gather(&ex->t[1]) : NULL;
    float *sp = malloc((size_t)(E > 0 ? E : 1) * sizeof(float)), *gscore = malloc((size_t)(G > 0 ? G : 1) * sizeof(float));
    unsigned char *used = malloc((size_t)(E > 0 ? E : 1));
    float *y = malloc((size_t)(T * k > 0 ? T * k : 1) * sizeof(float));
    int64_t *idx = malloc((size_t)(T * k > 0 ? T * k : 1) * sizeof(int64_t));
    aclnnStatus rc = ACLNN_SUCCESS;
    if (x == NULL || (ex->has[1] && bias == NULL) || sp == NULL || gscore == NULL || used == NULL || y == NULL ||
        idx == NULL) {
        rc = p2_oom(ex);
        goto out;
    }
    for (int64_t t = 0; t < T; t++) {
        float *s = x + t * E; /* becomes the normalised scores in place */
        if (sigmoid) {
            for (int64_t e = 0; e < E; e++) s[e] = 1.0f / (1.0f + expf(-s[e]));
        } else {
            float m = -INFINITY, sum = 0.0f;
            for (int64_t e = 0; e < E; e++)
                if (!isnan(s[e]) && s[e] > m) m = s[e];
            for (int64_t e = 0; e < E; e++) {
                s[e] = expf(s[e] - m);
                sum += s[e];
            }
            for (int64_t e = 0; e < E; e++) s[e] /= sum;
        }
        for (int64_t e = 0; e < E; e++) sp[e] = bias ? s[e] + bias[e] : s[e];
        /* group scores */
        for (int64_t g = 0; g < G; g++) {
            const float *v = sp + g * gs;
            int64_t b1 = 0;
            for (int64_t j = 1; j < gs; j++)
                if (better(v[j], j, v[b1], b1)) b1 = j;
            if (mode == 1) {
                int64_t b2 = b1 == 0 ? 1 : 0;
                for (int64_t j = 0; j < gs; j++)
                    if (j != b1 && better(v[j], j, v[b2], b2)) b2 = j;
                gscore[g] = v[b1] + v[b2];
            } else {
                gscore[g] = v[b1];
            }
        }
        /* keep the kGroup best groups; experts of the others are not candidates */
        unsigned char *gkeep = calloc((size_t)G, 1);
        if (gkeep == NULL) {
            rc = p2_oom(ex);
            goto out;
        }
        for (int64_t n = 0; n < kGroup; n++) {
            int64_t best = -1;
            for (int64_t g = 0; g < G; g++)
                if (!gkeep[g] && (best < 0 || better(gscore[g], g, gscore[best], best))) best = g;
            if (best < 0) break;
            gkeep[best] = 1;
        }
        for (int64_t e = 0; e < E; e++) used[e] = gkeep[e / gs] ? 0 : 1;
        free(gkeep);
        /* top-k experts by s', descending */
        float sum = 0.0f;
        for (int64_t j = 0; j < k; j++) {
            int64_t best = -1;
            for (int64_t e = 0; e < E; e++)
                if (!used[e] && (best < 0 || better(sp[e], e, sp[best], best))) best = e;
            if (best < 0) break; /* cannot happen: k <= kGroup * experts per group */
            used[best] = 1;
            idx[t * k + j] = best;
            y[t * k + j] = s[best];
            sum += s[best];
        }
        for (int64_t j = 0; j < k; j++) {
            float v = y[t * k + j];
            if (sigmoid) v = v / (sum + (float)ex->d[1]);
            y[t * k + j] = v * (float)ex->d[0];
        }
    }
    sim_scatter(&ex->t[2], y);
    {
        const aclTensor *I = &ex->t[3];
        sim_iter it;
        sim_it_init(&it, I, 0);
        for (int64_t n = 0; n < T * k; n++, sim_it_next(&it)) sim_store_i(I, it.off, idx[n]);
    }
    if (outFlag) sim_scatter(&ex->t[4], x);
out:
    free(x);
    free(bias);
    free(sp);
    free(gscore);
    free(used);
    free(y);
    free(idx);
    return rc;
}

static aclnnStatus gating_body(p1 *b, const aclTensor *x, const aclTensor *biasOptional, int64_t k, int64_t kGroup,
                               int64_t groupCount, int64_t groupSelectMode, int64_t renorm, int64_t normType,
                               bool outFlag, double routedScalingFactor, double eps, const aclTensor *yOut,
                               const aclTensor *expertIdxOut, const aclTensor *outOut)
{
    P1_TRY(p1_tensor(b, 0, "x", x, true));
    P1_TRY(p1_tensor(b, 1, "biasOptional", biasOptional, false));
    P1_TRY(p1_tensor(b, 2, "yOut", yOut, true));
    P1_TRY(p1_tensor(b, 3, "expertIdxOut", expertIdxOut, true));
    if (outFlag) P1_TRY(p1_tensor(b, 4, "outOut", outOut, true)); /* ignored when outFlag is false */
    aclOpExecutor *ex = b->ex;
    const aclTensor *X = &ex->t[0], *B = &ex->t[1], *Y = &ex->t[2], *I = &ex->t[3], *O = &ex->t[4];
    P1_TRY(p1_rank(b, "x", X, 2));
    P1_TRY(p1_float_dtype(b, "x", X));
    int64_t T = X->dims[0], E = X->dims[1];
    if (ex->has[1]) {
        P1_CHECK(B->ndim == 1 && B->dims[0] == E, "biasOptional %s must be [%lld]", SHAPE(B), (long long)E);
        P1_CHECK(B->dtype == X->dtype, "biasOptional dtype %s must equal x dtype %s", DTYPE(B), DTYPE(X));
    }
    P1_CHECK(renorm == 0, "renorm %lld is not supported by acl-sim (0: normalise first, then top-k)",
             (long long)renorm);
    P1_CHECK(normType == 0 || normType == 1, "normType %lld is not 0 (softmax) or 1 (sigmoid)", (long long)normType);
    P1_CHECK(groupCount >= 1 && E % groupCount == 0, "groupCount %lld must be >= 1 and divide the expert count %lld",
             (long long)groupCount, (long long)E);
    P1_CHECK(kGroup >= 1 && kGroup <= groupCount, "kGroup %lld must be in [1, groupCount %lld]", (long long)kGroup,
             (long long)groupCount);
    P1_CHECK(groupSelectMode == 0 || groupSelectMode == 1, "groupSelectMode %lld is not 0 (max) or 1 (top-2 sum)",
             (long long)groupSelectMode);
    int64_t gs = E / groupCount;
    P1_CHECK(groupSelectMode == 0 || gs >= 2, "groupSelectMode 1 needs at least 2 experts per group (have %lld)",
             (long long)gs);
    P1_CHECK(k >= 1 && k <= kGroup * gs, "k %lld must be in [1, kGroup * experts per group = %lld]", (long long)k,
             (long long)(kGroup * gs));
    P1_CHECK(Y->ndim == 2 && Y->dims[0] == T && Y->dims[1] == k, "yOut %s must be [%lld,%lld]", SHAPE(Y),
             (long long)T, (long long)k);
    P1_CHECK(Y->dtype == X->dtype, "yOut dtype %s must equal x dtype %s", DTYPE(Y), DTYPE(X));
    P1_CHECK(I->ndim == 2 && I->dims[0] == T && I->dims[1] == k, "expertIdxOut %s must be [%lld,%lld]", SHAPE(I),
             (long long)T, (long long)k);
    P1_TRY(p1_dtype(b, "expertIdxOut", I, ACL_INT32));
    if (outFlag) {
        P1_CHECK(sim_same_shape(O, X), "outOut %s must have x's shape %s", SHAPE(O), SHAPE(X));
        P1_TRY(p1_dtype(b, "outOut", O, ACL_FLOAT));
    }
    ex->i[0] = k;
    ex->i[1] = kGroup;
    ex->i[2] = groupCount;
    ex->i[3] = groupSelectMode;
    ex->i[4] = normType;
    ex->i[5] = outFlag;
    ex->d[0] = routedScalingFactor;
    ex->d[1] = eps;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnMoeGatingTopKGetWorkspaceSize(const aclTensor *x, const aclTensor *biasOptional,
                                                          int64_t k, int64_t kGroup, int64_t groupCount,
                                                          int64_t groupSelectMode, int64_t renorm, int64_t normType,
                                                          bool outFlag, double routedScalingFactor, double eps,
                                                          const aclTensor *yOut, const aclTensor *expertIdxOut,
                                                          const aclTensor *outOut, uint64_t *workspaceSize,
                                                          aclOpExecutor **executor)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnMoeGatingTopKGetWorkspaceSize", OP_MOE_GATING_TOPK, "aclnnMoeGatingTopK",
                              run_gating, workspaceSize, executor);
    if (rc == ACLNN_SUCCESS)
        rc = gating_body(&b, x, biasOptional, k, kGroup, groupCount, groupSelectMode, renorm, normType, outFlag,
                         routedScalingFactor, eps, yOut, expertIdxOut, outOut);
    return p1_end(&b, rc, 0, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnMoeGatingTopK, OP_MOE_GATING_TOPK)

/* ---------------------------------------------------------------- MoeInitRoutingV2 */

/* slots: 0 x [T,H], 1 expertIdx [T,k] I32, 2 expandedXOut [rows,H], 3 expandedRowIdxOut [T*k] I32,
   4 expertTokensCountOrCumsumOut [expertNum] I64; i: 0 rows, 1 expertNum, 2 count flag */
static aclnnStatus run_init_routing(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0], *EI = &ex->t[1], *XO = &ex->t[2], *RI = &ex->t[3], *CO = &ex->t[4];
    int64_t T = X->dims[0], H = X->dims[1], k = EI->dims[1], n = T * k, rows = ex->i[0], En = ex->i[1];
    size_t es = sim_dtype_size(X->dtype);
    int64_t *ids = sim_gather_i(EI), *cnt = calloc((size_t)En + 1, sizeof(int64_t));
    int64_t *sorted = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    int64_t *ri = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    unsigned char *xb = malloc((size_t)(T * H > 0 ? T * H : 1) * es);
    aclnnStatus rc = ACLNN_SUCCESS;
    if (ids == NULL || cnt == NULL || sorted == NULL || ri == NULL || xb == NULL) {
        rc = p2_oom(ex);
        goto out;
    }
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= En) {
            rc = p2_fail(ex, ST_INVALID, "expertIdx[%lld][%lld] = %lld is outside [0, expertNum %lld)",
                         (long long)(i / k), (long long)(i % k), (long long)ids[i], (long long)En);
            goto out;
        }
        cnt[ids[i]]++;
    }
    {
        int64_t *pos = calloc((size_t)En + 1, sizeof(int64_t)); /* stable counting sort by expert */
        if (pos == NULL) {
            rc = p2_oom(ex);
            goto out;
        }
        for (int64_t e = 1; e < En; e++) pos[e] = pos[e - 1] + cnt[e - 1];
        for (int64_t i = 0; i < n; i++) sorted[pos[ids[i]]++] = i;
        free(pos);
    }
    for (int64_t p = 0; p < n; p++) ri[sorted[p]] = p;
    /* raw element copy (any dtype): x -> contiguous bytes -> expanded rows */
    sim_iter it;
    sim_it_init(&it, X, 0);
    for (int64_t i = 0; i < T * H; i++, sim_it_next(&it))
        memcpy(xb + (size_t)i * es, (const char *)X->data + it.off * (int64_t)es, es);
    sim_it_init(&it, XO, 0);
    for (int64_t i = 0; i < rows * H; i++, sim_it_next(&it)) {
        int64_t src = sorted[i / H] / k;
        memcpy((char *)XO->data + it.off * (int64_t)es, xb + (size_t)(src * H + i % H) * es, es);
    }
    sim_it_init(&it, RI, 0);
    for (int64_t i = 0; i < n; i++, sim_it_next(&it)) sim_store_i(RI, it.off, ri[i]);
    if (ex->i[2] != 0) {
        int64_t acc = 0;
        sim_it_init(&it, CO, 0);
        for (int64_t e = 0; e < En; e++, sim_it_next(&it)) {
            acc += cnt[e];
            sim_store_i(CO, it.off, ex->i[2] == 1 ? acc : cnt[e]);
        }
    }
out:
    free(ids);
    free(cnt);
    free(sorted);
    free(ri);
    free(xb);
    return rc;
}

static aclnnStatus init_routing_body(p1 *b, const aclTensor *x, const aclTensor *expertIdx, int64_t activeNum,
                                     int64_t expertCapacity, int64_t expertNum, int64_t dropPadMode, int64_t flag,
                                     bool beforeCapacityFlag, const aclTensor *expandedXOut,
                                     const aclTensor *expandedRowIdxOut, const aclTensor *countOut)
{
    P1_TRY(p1_tensor(b, 0, "x", x, true));
    P1_TRY(p1_tensor(b, 1, "expertIdx", expertIdx, true));
    P1_TRY(p1_tensor(b, 2, "expandedXOut", expandedXOut, true));
    P1_TRY(p1_tensor(b, 3, "expandedRowIdxOut", expandedRowIdxOut, true));
    if (flag != 0) P1_TRY(p1_tensor(b, 4, "expertTokensCountOrCumsumOut", countOut, true));
    aclOpExecutor *ex = b->ex;
    const aclTensor *X = &ex->t[0], *EI = &ex->t[1], *XO = &ex->t[2], *RI = &ex->t[3], *CO = &ex->t[4];
    P1_CHECK(dropPadMode == 0, "dropPadMode %lld is not supported by acl-sim (0: dropless)", (long long)dropPadMode);
    P1_CHECK(!beforeCapacityFlag, "expertTokensBeforeCapacityFlag is not supported by acl-sim");
    P1_CHECK(flag >= 0 && flag <= 2, "expertTokensCountOrCumsumFlag %lld is not 0, 1 (cumsum) or 2 (counts)",
             (long long)flag);
    P1_CHECK(expertNum >= 1, "expertNum %lld must be >= 1", (long long)expertNum);
    P1_CHECK(activeNum >= 0, "activeNum %lld is negative", (long long)activeNum);
    P1_CHECK(expertCapacity >= 0, "expertCapacity %lld is negative", (long long)expertCapacity);
    P1_TRY(p1_rank(b, "x", X, 2));
    P1_TRY(p1_rank(b, "expertIdx", EI, 2));
    P1_TRY(p1_dtype(b, "expertIdx", EI, ACL_INT32));
    int64_t T = X->dims[0], H = X->dims[1], k = EI->dims[1], n = T * k;
    P1_CHECK(EI->dims[0] == T, "expertIdx %s and x %s disagree on the token count", SHAPE(EI), SHAPE(X));
    int64_t rows = (activeNum == 0 || activeNum >= n) ? n : activeNum;
    P1_CHECK(XO->ndim == 2 && XO->dims[0] == rows && XO->dims[1] == H, "expandedXOut %s must be [%lld,%lld]",
             SHAPE(XO), (long long)rows, (long long)H);
    P1_CHECK(XO->dtype == X->dtype, "expandedXOut dtype %s must equal x dtype %s", DTYPE(XO), DTYPE(X));
    P1_CHECK(RI->ndim == 1 && RI->dims[0] == n, "expandedRowIdxOut %s must be [%lld]", SHAPE(RI), (long long)n);
    P1_TRY(p1_dtype(b, "expandedRowIdxOut", RI, ACL_INT32));
    if (flag != 0) {
        P1_CHECK(CO->ndim == 1 && CO->dims[0] == expertNum, "expertTokensCountOrCumsumOut %s must be [%lld]",
                 SHAPE(CO), (long long)expertNum);
        P1_TRY(p1_dtype(b, "expertTokensCountOrCumsumOut", CO, ACL_INT64));
    }
    ex->i[0] = rows;
    ex->i[1] = expertNum;
    ex->i[2] = flag;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnMoeInitRoutingV2GetWorkspaceSize(
    const aclTensor *x, const aclTensor *expertIdx, int64_t activeNum, int64_t expertCapacity, int64_t expertNum,
    int64_t dropPadMode, int64_t expertTokensCountOrCumsumFlag, bool expertTokensBeforeCapacityFlag,
    const aclTensor *expandedXOut, const aclTensor *expandedRowIdxOut, const aclTensor *expertTokensCountOrCumsumOut,
    const aclTensor *expertTokensBeforeCapacityOut, uint64_t *workspaceSize, aclOpExecutor **executor)
{
    (void)expertTokensBeforeCapacityOut; /* only used with expertTokensBeforeCapacityFlag, which is refused */
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnMoeInitRoutingV2GetWorkspaceSize", OP_MOE_INIT_ROUTING_V2,
                              "aclnnMoeInitRoutingV2", run_init_routing, workspaceSize, executor);
    if (rc == ACLNN_SUCCESS)
        rc = init_routing_body(&b, x, expertIdx, activeNum, expertCapacity, expertNum, dropPadMode,
                               expertTokensCountOrCumsumFlag, expertTokensBeforeCapacityFlag, expandedXOut,
                               expandedRowIdxOut, expertTokensCountOrCumsumOut);
    return p1_end(&b, rc, 0, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnMoeInitRoutingV2, OP_MOE_INIT_ROUTING_V2)

/* ---------------------------------------------------------------- MoeFinalizeRoutingV2 */

/* slots: 0 expandedX [R,H], 1 expandedRowIdx [T*k] I32, 2 x1 [T,H], 3 x2 [T,H], 4 bias [E,H], 5 scales [T,k],
   6 expertIdx [T,k] I32, 7 out [T,H]; i: 0 k */
static aclnnStatus run_finalize(aclOpExecutor *ex)
{
    const aclTensor *EX = &ex->t[0], *O = &ex->t[7];
    int64_t R = EX->dims[0], H = EX->dims[1], T = O->dims[0], k = ex->i[0];
    int64_t E = ex->has[4] ? ex->t[4].dims[0] : 0;
    int64_t *ri = sim_gather_i(&ex->t[1]), *ei = ex->has[4] ? sim_gather_i(&ex->t[6]) : NULL;
    float *xe = NULL, *x1 = NULL, *x2 = NULL, *bias = NULL, *sc = NULL, *o = NULL;
    aclnnStatus rc = ACLNN_SUCCESS;
    if (ri == NULL || (ex->has[4] && ei == NULL)) {
        rc = p2_oom(ex);
        goto out;
    }
    for (int64_t i = 0; i < T * k; i++)
        if (ri[i] < 0 || ri[i] >= R) {
            rc = p2_fail(ex, ST_INVALID, "expandedRowIdx[%lld] = %lld is outside [0, %lld)", (long long)i,
                         (long long)ri[i], (long long)R);
            goto out;
        }
    if (ei != NULL)
        for (int64_t i = 0; i < T * k; i++)
            if (ei[i] < 0 || ei[i] >= E) {
                rc = p2_fail(ex, ST_INVALID, "expertIdxOptional[%lld][%lld] = %lld is outside [0, %lld)",
                             (long long)(i / k), (long long)(i % k), (long long)ei[i], (long long)E);
                goto out;
            }
    xe = sim_gather(EX);
    o = malloc((size_t)(T * H > 0 ? T * H : 1) * sizeof(float));
    if (ex->has[2]) x1 = sim_gather(&ex->t[2]);
    if (ex->has[3]) x2 = sim_gather(&ex->t[3]);
    if (ex->has[4]) bias = sim_gather(&ex->t[4]);
    if (ex->has[5]) sc = sim_gather(&ex->t[5]);
    if (xe == NULL || o == NULL || (ex->has[2] && !x1) || (ex->has[3] && !x2) || (ex->has[4] && !bias) ||
        (ex->has[5] && !sc)) {
        rc = p2_oom(ex);
        goto out;
    }
    for (int64_t i = 0; i < T; i++)
        for (int64_t j = 0; j < H; j++) {
            float acc = 0.0f;
            if (x1) acc += x1[i * H + j];
            if (x2) acc += x2[i * H + j];
            for (int64_t kk = 0; kk < k; kk++) {
                float v = xe[ri[i + kk * T] * H + j];
                if (bias) v += bias[ei[i * k + kk] * H + j];
                acc += sc ? sc[i * k + kk] * v : v;
            }
            o[i * H + j] = acc;
        }
    sim_scatter(O, o);
out:
    free(ri);
    free(ei);
    free(xe);
    free(x1);
    free(x2);
    free(bias);
    free(sc);
    free(o);
    return rc;
}

static aclnnStatus finalize_body(p1 *b, const aclTensor *expandedX, const aclTensor *expandedRowIdx,
                                 const aclTensor *x1, const aclTensor *x2, const aclTensor *bias,
                                 const aclTensor *scales, const aclTensor *expertIdx, int64_t dropPadMode,
                                 const aclTensor *out)
{
    P1_TRY(p1_tensor(b, 0, "expandedX", expandedX, true));
    P1_TRY(p1_tensor(b, 1, "expandedRowIdx", expandedRowIdx, true));
    P1_TRY(p1_tensor(b, 2, "x1Optional", x1, false));
    P1_TRY(p1_tensor(b, 3, "x2Optional", x2, false));
    P1_TRY(p1_tensor(b, 4, "biasOptional", bias, false));
    P1_TRY(p1_tensor(b, 5, "scalesOptional", scales, false));
    P1_TRY(p1_tensor(b, 6, "expertIdxOptional", expertIdx, bias != NULL));
    P1_TRY(p1_tensor(b, 7, "out", out, true));
    aclOpExecutor *ex = b->ex;
    const aclTensor *EX = &ex->t[0], *RI = &ex->t[1], *O = &ex->t[7];
    P1_CHECK(dropPadMode == 0, "dropPadMode %lld is not supported by acl-sim (0 only)", (long long)dropPadMode);
    P1_TRY(p1_rank(b, "expandedX", EX, 2));
    P1_TRY(p1_float_dtype(b, "expandedX", EX));
    P1_TRY(p1_rank(b, "expandedRowIdx", RI, 1));
    P1_TRY(p1_dtype(b, "expandedRowIdx", RI, ACL_INT32));
    P1_TRY(p1_rank(b, "out", O, 2));
    P1_CHECK(O->dtype == EX->dtype, "out dtype %s must equal expandedX dtype %s", DTYPE(O), DTYPE(EX));
    int64_t H = EX->dims[1], T = O->dims[0], L = RI->dims[0];
    P1_CHECK(O->dims[1] == H, "out %s and expandedX %s disagree on H", SHAPE(O), SHAPE(EX));
    int64_t k;
    if (T > 0) {
        P1_CHECK(L % T == 0, "expandedRowIdx length %lld is not a multiple of the token count %lld (out %s)",
                 (long long)L, (long long)T, SHAPE(O));
        k = L / T;
    } else {
        P1_CHECK(L == 0, "out has no rows but expandedRowIdx has %lld entries", (long long)L);
        k = ex->has[5] && ex->t[5].ndim == 2 ? ex->t[5].dims[1] : (ex->has[6] && ex->t[6].ndim == 2 ? ex->t[6].dims[1] : 0);
    }
    for (int s = 2; s <= 3; s++)
        if (ex->has[s]) {
            const aclTensor *Xs = &ex->t[s];
            const char *nm = s == 2 ? "x1Optional" : "x2Optional";
            P1_CHECK(sim_same_shape(Xs, O), "%s %s must have out's shape %s", nm, SHAPE(Xs), SHAPE(O));
            P1_CHECK(Xs->dtype == EX->dtype, "%s dtype %s must equal expandedX dtype %s", nm, DTYPE(Xs), DTYPE(EX));
        }
    if (ex->has[4]) {
        const aclTensor *B = &ex->t[4];
        P1_CHECK(B->ndim == 2 && B->dims[1] == H, "biasOptional %s must be [E,%lld]", SHAPE(B), (long long)H);
        P1_CHECK(B->dtype == EX->dtype, "biasOptional dtype %s must equal expandedX dtype %s", DTYPE(B), DTYPE(EX));
    }
    if (ex->has[5]) {
        const aclTensor *S = &ex->t[5];
        P1_CHECK(S->ndim == 2 && S->dims[0] == T && S->dims[1] == k, "scalesOptional %s must be [%lld,%lld]",
                 SHAPE(S), (long long)T, (long long)k);
        P1_CHECK(S->dtype == ACL_FLOAT || S->dtype == EX->dtype, "scalesOptional dtype %s must be FLOAT or %s",
                 DTYPE(S), DTYPE(EX));
    }
    if (ex->has[6]) {
        const aclTensor *I = &ex->t[6];
        P1_CHECK(I->ndim == 2 && I->dims[0] == T && I->dims[1] == k, "expertIdxOptional %s must be [%lld,%lld]",
                 SHAPE(I), (long long)T, (long long)k);
        P1_TRY(p1_dtype(b, "expertIdxOptional", I, ACL_INT32));
    }
    ex->i[0] = k;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnMoeFinalizeRoutingV2GetWorkspaceSize(
    const aclTensor *expandedX, const aclTensor *expandedRowIdx, const aclTensor *x1Optional,
    const aclTensor *x2Optional, const aclTensor *biasOptional, const aclTensor *scalesOptional,
    const aclTensor *expertIdxOptional, int64_t dropPadMode, const aclTensor *out, uint64_t *workspaceSize,
    aclOpExecutor **executor)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnMoeFinalizeRoutingV2GetWorkspaceSize", OP_MOE_FINALIZE_ROUTING_V2,
                              "aclnnMoeFinalizeRoutingV2", run_finalize, workspaceSize, executor);
    if (rc == ACLNN_SUCCESS)
        rc = finalize_body(&b, expandedX, expandedRowIdx, x1Optional, x2Optional, biasOptional, scalesOptional,
                           expertIdxOptional, dropPadMode, out);
    return p1_end(&b, rc, 0, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnMoeFinalizeRoutingV2, OP_MOE_FINALIZE_ROUTING_V2)
