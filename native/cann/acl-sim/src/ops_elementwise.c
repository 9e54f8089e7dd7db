/* libopapi: aclnnSilu, aclnnSwiGlu, aclnnAdd, aclnnMul, aclnnCast. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_common.h"

static inline float silu(float x) { return x / (1.0f + expf(-x)); }

static aclnnStatus same_float(p1 *b, const char *an, const aclTensor *a, const char *on, const aclTensor *o)
{
    P1_TRY(p1_float_dtype(b, an, a));
    P1_CHECK(o->dtype == a->dtype, "%s dtype %s must equal %s dtype %s", on, DTYPE(o), an, DTYPE(a));
    return ACLNN_SUCCESS;
}

/* ---------------------------------------------------------------- Silu */

static aclnnStatus run_silu(aclOpExecutor *ex)
{
    float *x = sim_gather(&ex->t[0]);
    if (x == NULL) return p2_oom(ex);
    int64_t n = sim_numel(&ex->t[0]);
    for (int64_t i = 0; i < n; i++) x[i] = silu(x[i]);
    sim_scatter(&ex->t[1], x);
    free(x);
    return ACLNN_SUCCESS;
}

static aclnnStatus silu_body(p1 *b, const aclTensor *self, const aclTensor *out)
{
    P1_TRY(p1_tensor(b, 0, "self", self, true));
    P1_TRY(p1_tensor(b, 1, "out", out, true));
    const aclTensor *X = &b->ex->t[0], *O = &b->ex->t[1];
    P1_TRY(same_float(b, "self", X, "out", O));
    P1_CHECK(sim_same_shape(X, O), "out shape %s must equal self shape %s", SHAPE(O), SHAPE(X));
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnSiluGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *ws,
                                                 aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnSiluGetWorkspaceSize", OP_SILU, "aclnnSilu", run_silu, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = silu_body(&b, self, out);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnSilu, OP_SILU)

/* ---------------------------------------------------------------- SwiGlu */

/* i[0] = normalised dim */
static aclnnStatus run_swiglu(aclOpExecutor *ex)
{
    const aclTensor *X = &ex->t[0], *O = &ex->t[1];
    int64_t dim = ex->i[0], outer = 1, inner = 1, two_h = X->dims[dim], h = two_h / 2;
    for (int64_t d = 0; d < dim; d++) outer *= X->dims[d];
    for (uint64_t d = (uint64_t)dim + 1; d < X->ndim; d++) inner *= X->dims[d];
    float *x = sim_gather(X);
    float *o = malloc((size_t)(outer * h * inner > 0 ? outer * h * inner : 1) * sizeof(float));
    if (x == NULL || o == NULL) {
        free(x);
        free(o);
        return p2_oom(ex);
    }
    for (int64_t a = 0; a < outer; a++)
        for (int64_t j = 0; j < h; j++)
            for (int64_t c = 0; c < inner; c++) {
                float av = x[(a * two_h + j) * inner + c], bv = x[(a * two_h + j + h) * inner + c];
                o[(a * h + j) * inner + c] = silu(av) * bv;
            }
    sim_scatter(O, o);
    free(x);
    free(o);
    return ACLNN_SUCCESS;
}

static aclnnStatus swiglu_body(p1 *b, const aclTensor *x, int64_t dim, const aclTensor *out)
{
    P1_TRY(p1_tensor(b, 0, "x", x, true));
    P1_TRY(p1_tensor(b, 1, "out", out, true));
    const aclTensor *X = &b->ex->t[0], *O = &b->ex->t[1];
    P1_TRY(same_float(b, "x", X, "out", O));
    int64_t r = (int64_t)X->ndim;
    P1_CHECK(r >= 1, "x must have rank >= 1");
    P1_CHECK(dim >= -r && dim < r, "dim %lld is out of range for x %s", (long long)dim, SHAPE(X));
    if (dim < 0) dim += r;
    P1_CHECK(X->dims[dim] % 2 == 0, "x %s has an odd size along dim %lld", SHAPE(X), (long long)dim);
    bool ok = O->ndim == X->ndim;
    for (int64_t d = 0; ok && d < r; d++) ok = O->dims[d] == (d == dim ? X->dims[d] / 2 : X->dims[d]);
    P1_CHECK(ok, "out shape %s must be x shape %s with dim %lld halved", SHAPE(O), SHAPE(X), (long long)dim);
    b->ex->i[0] = dim;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnSwiGluGetWorkspaceSize(const aclTensor *x, int64_t dim, const aclTensor *out,
                                                   uint64_t *ws, aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnSwiGluGetWorkspaceSize", OP_SWIGLU, "aclnnSwiGlu", run_swiglu, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = swiglu_body(&b, x, dim, out);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnSwiGlu, OP_SWIGLU)

/* ---------------------------------------------------------------- Add / Mul (NumPy broadcasting) */

/* i[0] = 1 for Add, 0 for Mul; d[0] = alpha */
static aclnnStatus run_binary(aclOpExecutor *ex)
{
    const aclTensor *S = &ex->t[0], *T = &ex->t[1], *O = &ex->t[2];
    float *s = sim_gather_bcast(S, O->ndim, O->dims), *t = sim_gather_bcast(T, O->ndim, O->dims);
    if (s == NULL || t == NULL) {
        free(s);
        free(t);
        return p2_oom(ex);
    }
    int64_t n = sim_numel(O);
    float alpha = (float)ex->d[0];
    if (ex->i[0])
        for (int64_t i = 0; i < n; i++) s[i] = s[i] + alpha * t[i];
    else
        for (int64_t i = 0; i < n; i++) s[i] = s[i] * t[i];
    sim_scatter(O, s);
    free(s);
    free(t);
    return ACLNN_SUCCESS;
}

static double scalar_value(const aclScalar *s)
{
    switch (s->dtype) {
    case ACL_FLOAT: { float v; memcpy(&v, s->value, 4); return v; }
    case ACL_FLOAT16: { uint16_t h; memcpy(&h, s->value, 2); return sim_f16_to_f32(h); }
    case ACL_BF16: { uint16_t h; memcpy(&h, s->value, 2); return sim_bf16_to_f32(h); }
    case ACL_DOUBLE: { double v; memcpy(&v, s->value, 8); return v; }
    case ACL_INT32: { int32_t v; memcpy(&v, s->value, 4); return v; }
    case ACL_INT64: { int64_t v; memcpy(&v, s->value, 8); return (double)v; }
    default: return 0.0;
    }
}

static aclnnStatus binary_body(p1 *b, const aclTensor *self, const aclTensor *other, const aclScalar *alpha,
                               const aclTensor *out, bool add)
{
    P1_TRY(p1_tensor(b, 0, "self", self, true));
    P1_TRY(p1_tensor(b, 1, "other", other, true));
    P1_TRY(p1_tensor(b, 2, "out", out, true));
    if (add) {
        if (alpha == NULL) return p1_fail(b, ST_NULL, "alpha is NULL");
        P1_CHECK(aclsim_internal_reg_kind(alpha) == SIM_K_SCALAR, "alpha (%p) is not a live aclScalar",
                 (const void *)alpha);
        b->ex->d[0] = scalar_value(alpha);
    }
    const aclTensor *S = &b->ex->t[0], *T = &b->ex->t[1], *O = &b->ex->t[2];
    P1_TRY(p1_float_dtype(b, "self", S));
    P1_TRY(p1_float_dtype(b, "other", T));
    P1_TRY(p1_float_dtype(b, "out", O));
    uint64_t nd = S->ndim > T->ndim ? S->ndim : T->ndim;
    bool ok = O->ndim == nd;
    for (uint64_t d = 0; ok && d < nd; d++) {
        int64_t sd = (int64_t)d - (int64_t)(nd - S->ndim), td = (int64_t)d - (int64_t)(nd - T->ndim);
        int64_t a = sd >= 0 ? S->dims[sd] : 1, c = td >= 0 ? T->dims[td] : 1;
        P1_CHECK(a == c || a == 1 || c == 1, "self %s and other %s cannot be broadcast together", SHAPE(S),
                 SHAPE(T));
        ok = O->dims[d] == (a == 1 ? c : a);
    }
    P1_CHECK(ok, "out shape %s must equal the broadcast shape of self %s and other %s", SHAPE(O), SHAPE(S),
             SHAPE(T));
    b->ex->i[0] = add;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnAddGetWorkspaceSize(const aclTensor *self, const aclTensor *other, const aclScalar *alpha,
                                                aclTensor *out, uint64_t *ws, aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnAddGetWorkspaceSize", OP_ADD, "aclnnAdd", run_binary, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = binary_body(&b, self, other, alpha, out, true);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnAdd, OP_ADD)

ACLSIM_API aclnnStatus aclnnMulGetWorkspaceSize(const aclTensor *self, const aclTensor *other, aclTensor *out,
                                                uint64_t *ws, aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnMulGetWorkspaceSize", OP_MUL, "aclnnMul", run_binary, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = binary_body(&b, self, other, NULL, out, false);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnMul, OP_MUL)

/* ---------------------------------------------------------------- Cast */

static bool is_int(int32_t dt) { return dt == ACL_INT32 || dt == ACL_INT64; }

static int64_t float_to_int(float f, int32_t dt) /* truncate toward zero, NaN -> 0, saturate */
{
    double lo = dt == ACL_INT32 ? -2147483648.0 : -9223372036854775808.0;
    double hi = dt == ACL_INT32 ? 2147483647.0 : 9223372036854775807.0;
    if (isnan(f)) return 0;
    double t = trunc((double)f);
    if (t <= lo) return dt == ACL_INT32 ? INT32_MIN : INT64_MIN;
    if (t >= hi) return dt == ACL_INT32 ? INT32_MAX : INT64_MAX;
    return (int64_t)t;
}

static aclnnStatus run_cast(aclOpExecutor *ex)
{
    const aclTensor *S = &ex->t[0], *O = &ex->t[1];
    int64_t n = sim_numel(O);
    int64_t *si = NULL;
    float *sf = NULL;
    if (is_int(S->dtype)) si = sim_gather_i(S);
    else sf = sim_gather(S);
    if (si == NULL && sf == NULL) return p2_oom(ex);
    sim_iter it;
    sim_it_init(&it, O, 0);
    for (int64_t i = 0; i < n; i++, sim_it_next(&it)) {
        char *p = (char *)O->data + it.off * (int64_t)sim_dtype_size(O->dtype);
        if (si != NULL) {
            int64_t v = si[i];
            uint16_t h;
            switch (O->dtype) {
            case ACL_FLOAT: sim_store(O, it.off, (float)v); break; /* single rounding */
            case ACL_FLOAT16: h = sim_f64_to_f16((double)v); memcpy(p, &h, 2); break;
            case ACL_BF16: h = sim_f64_to_bf16((double)v); memcpy(p, &h, 2); break;
            default: sim_store_i(O, it.off, v); break; /* int -> int: two's-complement wrap to 32 bits */
            }
        } else if (is_int(O->dtype)) {
            sim_store_i(O, it.off, float_to_int(sf[i], O->dtype));
        } else {
            sim_store(O, it.off, sf[i]);
        }
    }
    free(si);
    free(sf);
    return ACLNN_SUCCESS;
}

static bool cast_dtype_ok(int32_t dt) { return sim_is_float(dt) || is_int(dt); }

static aclnnStatus cast_body(p1 *b, const aclTensor *self, int32_t dtype, const aclTensor *out)
{
    P1_TRY(p1_tensor(b, 0, "self", self, true));
    P1_TRY(p1_tensor(b, 1, "out", out, true));
    const aclTensor *S = &b->ex->t[0], *O = &b->ex->t[1];
    P1_CHECK(cast_dtype_ok(dtype), "dtype %d is not supported by acl-sim (FLOAT, FLOAT16, BF16, INT32, INT64)",
             dtype);
    P1_CHECK(cast_dtype_ok(S->dtype), "self dtype %s is not supported by acl-sim (FLOAT, FLOAT16, BF16, INT32, "
             "INT64)", DTYPE(S));
    P1_CHECK(O->dtype == dtype, "out dtype %s must equal dtype %s", DTYPE(O), sim_dtype_name(dtype));
    P1_CHECK(sim_same_shape(S, O), "out shape %s must equal self shape %s", SHAPE(O), SHAPE(S));
    b->ex->i[0] = dtype;
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclnnCastGetWorkspaceSize(const aclTensor *self, int32_t dtype, aclTensor *out, uint64_t *ws,
                                                 aclOpExecutor **ex)
{
    p1 b;
    aclnnStatus rc = p1_begin(&b, "aclnnCastGetWorkspaceSize", OP_CAST, "aclnnCast", run_cast, ws, ex);
    if (rc == ACLNN_SUCCESS) rc = cast_body(&b, self, dtype, out);
    return p1_end(&b, rc, 0, ws, ex);
}
DEFINE_PHASE2(aclnnCast, OP_CAST)
