/* libopapi: aclnnSoftmax, aclnnRmsNorm, aclnnRotaryPositionEmbedding. */
#include <math.h>
#include <stdlib.h>

#include "ops_common.h"

/* ---------------------------------------------------------------- Softmax */

/* i[0] = normalised dim */
static aclnnStatus run_softmax(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0], *O = &ex->t[1];
    int64_t dim = ex->i[0], outer = 1, inner = 1, len = X->dims[dim];
    for (int64_t d = 0; d < dim; d++) outer *= X->dims[d];
    for (uint64_t d = (uint64_t)dim + 1; d < X->ndim; d++) inner *= X->dims[d];
    float *x = sim_gather(X);
    if (x == NULL) return p2_oom(ex);
    for (int64_t a = 0; a < outer; a++)
        for (int64_t c = 0; c < inner; c++) {
            float *row = x + a * len * inner + c;
            float m = -INFINITY, sum = 0.0f;
            for (int64_t j = 0; j < len; j++) {
                float v = row[j * inner];
                if (!isnan(v) && v > m) m = v;
            }
            for (int64_t j = 0; j < len; j++) {
                float e = expf(row[j * inner] - m);
                row[j * inner] = e;
                sum += e;
            }
            for (int64_t j = 0; j < len; j++) row[j * inner] /= sum;
        }
    sim_scatter(O, x);
    free(x);
    return ACLNN_SUCCESS;
}

static aclnnStatus softmax_body(p1 *b, const aclTensor *self, int64_t dim, const aclTensor *out)
{
    P1_TRY(p1_tensor(b, 0, "self", self, true));
    P1_TRY(p1_tensor(b, 1, "out", out, true));
    const aclTensor *X = &b->ex->t[0], *O = &b->ex->t[1];
    P1_TRY(p1_float_dtype(b, "self", X));
    P1_CHECK(O->dtype == X->dtype, "out dtype %s must equal self dtype %s", DTYPE(O), DTYPE(X));
    P1_CHECK(sim_same_shape(X, O), "out shape %s must equal self shape %s", SHAPE(O), SHAPE(X));
    int64_t r = (int64_t)X->ndim;
    P1_CHECK(r >= 1, "self must have rank >= 1");
    P1_CHECK(dim >= -r && dim < r, "dim %lld is out of range for self %s", (long long)dim, SHAPE(X));
    b->ex->i[0] = dim < 0 ? dim + r : dim;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnSoftmaxGetWorkspaceSize(const aclTensor *self, int64_t dim, aclTensor *out, uint64_t *ws,
                                                    aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnSoftmaxGetWorkspaceSize", OP_SOFTMAX, "aclnnSoftmax", run_softmax, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = softmax_body(&b, self, dim, out);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnSoftmax, OP_SOFTMAX)

/* ---------------------------------------------------------------- RmsNorm */

/* slots: 0 x, 1 gamma, 2 y, 3 rstd; d[0] = epsilon; i[0] = number of normalised (trailing) dims */
static aclnnStatus run_rmsnorm(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0], *G = &ex->t[1], *Y = &ex->t[2], *R = &ex->t[3];
    int64_t nd = (int64_t)X->ndim, g = ex->i[0], rows = 1, n = 1;
    for (int64_t d = 0; d < nd - g; d++) rows *= X->dims[d];
    for (int64_t d = nd - g; d < nd; d++) n *= X->dims[d];
    float *x = sim_gather(X), *gm = sim_gather(G), *rs = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(float));
    if (x == NULL || gm == NULL || rs == NULL) {
        free(x);
        free(gm);
        free(rs);
        return p2_oom(ex);
    }
    float eps = (float)ex->d[0];
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * n, ss = 0.0f;
        for (int64_t j = 0; j < n; j++) ss += row[j] * row[j];
        float mean = n > 0 ? ss / (float)n : 0.0f;
        float rstd = 1.0f / sqrtf(mean + eps);
        rs[r] = rstd;
        for (int64_t j = 0; j < n; j++) row[j] = row[j] * rstd * gm[j];
    }
    sim_scatter(Y, x);
    sim_scatter(R, rs);
    free(x);
    free(gm);
    free(rs);
    return ACLNN_SUCCESS;
}

static aclnnStatus rmsnorm_body(p1 *b, const aclTensor *x, const aclTensor *gamma, double epsilon,
                                const aclTensor *yOut, const aclTensor *rstdOut)
{
    P1_TRY(p1_tensor(b, 0, "x", x, true));
    P1_TRY(p1_tensor(b, 1, "gamma", gamma, true));
    P1_TRY(p1_tensor(b, 2, "yOut", yOut, true));
    P1_TRY(p1_tensor(b, 3, "rstdOut", rstdOut, true));
    const aclTensor *X = &b->ex->t[0], *G = &b->ex->t[1], *Y = &b->ex->t[2], *R = &b->ex->t[3];
    P1_TRY(p1_float_dtype(b, "x", X));
    P1_CHECK(G->dtype == X->dtype, "gamma dtype %s must equal x dtype %s", DTYPE(G), DTYPE(X));
    P1_CHECK(Y->dtype == X->dtype, "yOut dtype %s must equal x dtype %s", DTYPE(Y), DTYPE(X));
    P1_TRY(p1_dtype(b, "rstdOut", R, ACL_FLOAT));
    P1_CHECK(sim_same_shape(X, Y), "yOut shape %s must equal x shape %s", SHAPE(Y), SHAPE(X));
    int64_t nd = (int64_t)X->ndim, g = (int64_t)G->ndim;
    P1_CHECK(g >= 1 && g <= nd, "gamma %s must match x's trailing dims (x %s)", SHAPE(G), SHAPE(X));
    for (int64_t d = 0; d < g; d++)
        P1_CHECK(G->dims[d] == X->dims[nd - g + d], "gamma %s must match x's trailing dims (x %s)", SHAPE(G),
                 SHAPE(X));
    bool ok = (int64_t)R->ndim == nd;
    for (int64_t d = 0; ok && d < nd; d++) ok = R->dims[d] == (d < nd - g ? X->dims[d] : 1);
    P1_CHECK(ok, "rstdOut shape %s must be x shape %s with the %lld normalised dim(s) set to 1", SHAPE(R), SHAPE(X),
             (long long)g);
    P1_CHECK(!isnan(epsilon), "epsilon is NaN");
    b->ex->i[0] = g;
    b->ex->d[0] = epsilon;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnRmsNormGetWorkspaceSize(const aclTensor *x, const aclTensor *gamma, double epsilon,
                                                    const aclTensor *yOut, const aclTensor *rstdOut, uint64_t *ws,
                                                    aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnRmsNormGetWorkspaceSize", OP_RMSNORM, "aclnnRmsNorm", run_rmsnorm, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = rmsnorm_body(&b, x, gamma, epsilon, yOut, rstdOut);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnRmsNorm, OP_RMSNORM)

/* ---------------------------------------------------------------- RotaryPositionEmbedding */

/* slots: 0 x [B,S,N,D], 1 cos, 2 sin, 3 out; i[0] = mode */
static aclnnStatus run_rope(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0], *O = &ex->t[3];
    float *x = sim_gather(X), *c = sim_gather_bcast(&ex->t[1], 4, X->dims), *s = sim_gather_bcast(&ex->t[2], 4, X->dims);
    int64_t D = X->dims[3], rows = D > 0 ? sim_numel(X) / D : 0, h = D / 2;
    float *o = malloc((size_t)(sim_numel(X) > 0 ? sim_numel(X) : 1) * sizeof(float));
    if (x == NULL || c == NULL || s == NULL || o == NULL) {
        free(x);
        free(c);
        free(s);
        free(o);
        return p2_oom(ex);
    }
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * D, *cr = c + r * D, *sr = s + r * D;
        float *orow = o + r * D;
        for (int64_t i = 0; i < D; i++) {
            float rot;
            if (ex->i[0] == 0) rot = i < h ? -xr[i + h] : xr[i - h];
            else rot = (i % 2 == 0) ? -xr[i + 1] : xr[i - 1];
            orow[i] = xr[i] * cr[i] + rot * sr[i];
        }
    }
    sim_scatter(O, o);
    free(x);
    free(c);
    free(s);
    free(o);
    return ACLNN_SUCCESS;
}

static aclnnStatus rope_body(p1 *b, const aclTensor *x, const aclTensor *cos, const aclTensor *sin, int64_t mode,
                             const aclTensor *out)
{
    P1_TRY(p1_tensor(b, 0, "x", x, true));
    P1_TRY(p1_tensor(b, 1, "cos", cos, true));
    P1_TRY(p1_tensor(b, 2, "sin", sin, true));
    P1_TRY(p1_tensor(b, 3, "out", out, true));
    const aclTensor *X = &b->ex->t[0], *O = &b->ex->t[3];
    P1_TRY(p1_rank(b, "x", X, 4));
    P1_TRY(p1_float_dtype(b, "x", X));
    P1_CHECK(O->dtype == X->dtype && sim_same_shape(O, X), "out (%s %s) must have x's shape and dtype (%s %s)",
             SHAPE(O), DTYPE(O), SHAPE(X), DTYPE(X));
    P1_CHECK(X->dims[3] % 2 == 0, "x %s: the head dim D must be even", SHAPE(X));
    P1_CHECK(mode == 0 || mode == 1, "mode %lld is not supported by acl-sim (0 half, 1 interleaved)",
             (long long)mode);
    for (int i = 1; i <= 2; i++) {
        const aclTensor *T = &b->ex->t[i];
        const char *nm = i == 1 ? "cos" : "sin";
        P1_TRY(p1_rank(b, nm, T, 4));
        P1_CHECK(T->dtype == X->dtype, "%s dtype %s must equal x dtype %s", nm, DTYPE(T), DTYPE(X));
        P1_CHECK((T->dims[0] == 1 || T->dims[0] == X->dims[0]) && T->dims[1] == X->dims[1] &&
                     (T->dims[2] == 1 || T->dims[2] == X->dims[2]) && T->dims[3] == X->dims[3],
                 "%s %s must be [1 or B, S, 1 or N, D] for x %s", nm, SHAPE(T), SHAPE(X));
    }
    b->ex->i[0] = mode;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnRotaryPositionEmbeddingGetWorkspaceSize(const aclTensor *x, const aclTensor *cos,
                                                                    const aclTensor *sin, int64_t mode,
                                                                    aclTensor *out, uint64_t *workspaceSize,
                                                                    aclOpExecutor **executor)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnRotaryPositionEmbeddingGetWorkspaceSize", OP_ROPE,
                              "aclnnRotaryPositionEmbedding", run_rope, workspaceSize, executor);
    if (rc == ACLNN_SUCCESS) rc = rope_body(&b, x, cos, sin, mode, out);
    return p1_end(&b, rc, 0, workspaceSize, executor);
}
DEFINE_PHASE2(aclnnRotaryPositionEmbedding, OP_ROPE)
