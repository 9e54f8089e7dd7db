/* libopapi: shared helpers for the aclnn operators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_common.h"

/* ---------------------------------------------------------------- dtypes and shapes */

size_t sim_dtype_size(int32_t dt)
{
    switch (dt) {
    case ACL_FLOAT: case ACL_INT32: return 4;
    case ACL_FLOAT16: case ACL_BF16: return 2;
    case ACL_INT64: case ACL_DOUBLE: return 8;
    case ACL_INT8: case ACL_UINT8: case ACL_BOOL: return 1;
    default: return 0;
    }
}

const char *sim_dtype_name(int32_t dt)
{
    switch (dt) {
    case ACL_FLOAT: return "FLOAT";
    case ACL_FLOAT16: return "FLOAT16";
    case ACL_BF16: return "BF16";
    case ACL_INT32: return "INT32";
    case ACL_INT64: return "INT64";
    case ACL_INT8: return "INT8";
    case ACL_UINT8: return "UINT8";
    case ACL_DOUBLE: return "DOUBLE";
    case ACL_BOOL: return "BOOL";
    default: return "?";
    }
}

bool sim_is_float(int32_t dt) { return dt == ACL_FLOAT || dt == ACL_FLOAT16 || dt == ACL_BF16; }

int64_t sim_numel(const aclTensor *t)
{
    int64_t n = 1;
    for (uint64_t d = 0; d < t->ndim; d++) n *= t->dims[d];
    return n;
}

bool sim_same_shape(const aclTensor *a, const aclTensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (uint64_t d = 0; d < a->ndim; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

const char *sim_shape_str(const aclTensor *t, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "[");
    for (uint64_t d = 0; d < t->ndim && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, d ? ",%lld" : "%lld", (long long)t->dims[d]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

/* ---------------------------------------------------------------- element access */

static inline const char *el_cptr(const aclTensor *t, int64_t eoff)
{
    return (const char *)t->data + eoff * (int64_t)sim_dtype_size(t->dtype);
}

float sim_load(const aclTensor *t, int64_t eoff)
{
    const char *p = el_cptr(t, eoff);
    switch (t->dtype) {
    case ACL_FLOAT: { float v; memcpy(&v, p, 4); return v; }
    case ACL_FLOAT16: { uint16_t h; memcpy(&h, p, 2); return sim_f16_to_f32(h); }
    case ACL_BF16: { uint16_t h; memcpy(&h, p, 2); return sim_bf16_to_f32(h); }
    case ACL_DOUBLE: { double v; memcpy(&v, p, 8); return (float)v; }
    case ACL_INT32: { int32_t v; memcpy(&v, p, 4); return (float)v; }
    case ACL_INT64: { int64_t v; memcpy(&v, p, 8); return (float)v; }
    case ACL_INT8: return (float)*(const int8_t *)p;
    case ACL_UINT8: return (float)*(const uint8_t *)p;
    case ACL_BOOL: return *(const uint8_t *)p ? 1.0f : 0.0f;
    default: return 0.0f;
    }
}

void sim_store(const aclTensor *t, int64_t eoff, float v)
{
    char *p = (char *)el_cptr(t, eoff);
    switch (t->dtype) {
    case ACL_FLOAT: memcpy(p, &v, 4); break;
    case ACL_FLOAT16: { uint16_t h = sim_f32_to_f16(v); memcpy(p, &h, 2); break; }
    case ACL_BF16: { uint16_t h = sim_f32_to_bf16(v); memcpy(p, &h, 2); break; }
    case ACL_DOUBLE: { double d = v; memcpy(p, &d, 8); break; }
    default: break;
    }
}

int64_t sim_load_i(const aclTensor *t, int64_t eoff)
{
    const char *p = el_cptr(t, eoff);
    switch (t->dtype) {
    case ACL_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case ACL_INT64: { int64_t v; memcpy(&v, p, 8); return v; }
    case ACL_INT8: return *(const int8_t *)p;
    case ACL_UINT8: return *(const uint8_t *)p;
    case ACL_BOOL: return *(const uint8_t *)p != 0;
    default: return 0;
    }
}

void sim_store_i(const aclTensor *t, int64_t eoff, int64_t v)
{
    char *p = (char *)el_cptr(t, eoff);
    switch (t->dtype) {
    case ACL_INT32: { int32_t w = (int32_t)(uint32_t)(uint64_t)v; memcpy(p, &w, 4); break; }
    case ACL_INT64: memcpy(p, &v, 8); break;
    case ACL_INT8: *(int8_t *)p = (int8_t)(uint8_t)(uint64_t)v; break;
    case ACL_UINT8: *(uint8_t *)p = (uint8_t)(uint64_t)v; break;
    case ACL_BOOL: *(uint8_t *)p = v != 0; break;
    default: break;
    }
}

int64_t sim_elem_offset(const aclTensor *t, const int64_t *idx)
{
    int64_t off = t->offset;
    for (uint64_t d = 0; d < t->ndim; d++) off += idx[d] * t->strides[d];
    return off;
}

void sim_it_init(sim_iter *it, const aclTensor *t, int64_t start)
{
    it->t = t;
    for (uint64_t d = t->ndim; d-- > 0;) {
        int64_t n = t->dims[d] > 0 ? t->dims[d] : 1;
        it->idx[d] = start % n;
        start /= n;
    }
    it->off = sim_elem_offset(t, it->idx);
}

void sim_it_next(sim_iter *it)
{
    const aclTensor *t = it->t;
    for (uint64_t d = t->ndim; d-- > 0;) {
        it->off += t->strides[d];
        if (++it->idx[d] < t->dims[d]) return;
        it->off -= t->strides[d] * t->dims[d];
        it->idx[d] = 0;
    }
}

static bool is_contiguous(const aclTensor *t)
{
    int64_t s = 1;
    for (uint64_t d = t->ndim; d-- > 0;) {
        if (t->dims[d] != 1 && t->strides[d] != s) return false;
        s *= t->dims[d];
    }
    return true;
}

float *sim_gather(const aclTensor *t)
{
    int64_t n = sim_numel(t);
    float *out = malloc(n > 0 ? (size_t)n * sizeof(float) : sizeof(float));
    if (out == NULL || n == 0) return out;
    if (t->dtype == ACL_FLOAT && is_contiguous(t)) {
        memcpy(out, el_cptr(t, t->offset), (size_t)n * sizeof(float));
        return out;
    }
    sim_iter it;
    sim_it_init(&it, t, 0);
    for (int64_t i = 0; i < n; i++, sim_it_next(&it)) out[i] = sim_load(t, it.off);
    return out;
}

float *sim_gather_bcast(const aclTensor *t, uint64_t ndim, const int64_t *dims)
{
    aclTensor v = *t;
    v.ndim = ndim;
    for (uint64_t d = 0; d < ndim; d++) {
        int64_t td = (int64_t)d - (int64_t)(ndim - t->ndim);
        v.dims[d] = dims[d];
        v.strides[d] = (td >= 0 && t->dims[td] == dims[d]) ? t->strides[td] : 0;
    }
    return sim_gather(&v);
}

int64_t *sim_gather_i(const aclTensor *t)
{
    int64_t n = sim_numel(t);
    int64_t *out = malloc(n > 0 ? (size_t)n * sizeof(int64_t) : sizeof(int64_t));
    if (out == NULL || n == 0) return out;
    sim_iter it;
    sim_it_init(&it, t, 0);
    for (int64_t i = 0; i < n; i++, sim_it_next(&it)) out[i] = sim_load_i(t, it.off);
    return out;
}

void sim_scatter_range(const aclTensor *t, const float *src, int64_t start, int64_t end)
{
    if (start >= end) return;
    if (t->dtype == ACL_FLOAT && is_contiguous(t)) {
        memcpy((char *)el_cptr(t, t->offset + start), src + start, (size_t)(end - start) * sizeof(float));
        return;
    }
    sim_iter it;
    sim_it_init(&it, t, start);
    for (int64_t i = start; i < end; i++, sim_it_next(&it)) sim_store(t, it.off, src[i]);
}

void sim_scatter(const aclTensor *t, const float *src) { sim_scatter_range(t, src, 0, sim_numel(t)); }

/* ---------------------------------------------------------------- device-memory check */

/* byte range a non-empty tensor addresses; false when it overflows */
static bool tensor_range(const aclTensor *t, const void **base, uint64_t *bytes)
{
    __int128 lo = t->offset, hi = t->offset;
    const __int128 lim = (__int128)1 << 80;
    for (uint64_t d = 0; d < t->ndim; d++) {
        __int128 ext = (__int128)(t->dims[d] - 1) * t->strides[d];
        if (ext > lim || ext < -lim) return false;
        if (ext < 0) lo += ext;
        else hi += ext;
    }
    __int128 es = (__int128)sim_dtype_size(t->dtype);
    __int128 start = (__int128)(uintptr_t)t->data + lo * es;
    __int128 end = (__int128)(uintptr_t)t->data + (hi + 1) * es;
    if (start < 0 || end > (__int128)UINTPTR_MAX || end <= start) return false;
    *base = (const void *)(uintptr_t)start;
    *bytes = (uint64_t)(end - start);
    return true;
}

static bool tensor_on_device(const aclTensor *t)
{
    const void *base;
    uint64_t bytes;
    if (sim_numel(t) == 0) return true;
    if (t->data == NULL || !tensor_range(t, &base, &bytes)) return false;
    return aclsim_internal_is_device_range(base, bytes);
}

/* ---------------------------------------------------------------- phase 1 */

static aclnnStatus vfail(const char *fn, aclnnStatus code, const char *fmt, va_list ap)
{
    char body[800];
    vsnprintf(body, sizeof body, fmt, ap);
    aclsim_internal_set_error("%s: %s (error %d)", fn, body, (int)code);
    return code;
}

aclnnStatus p1_fail(p1 *b, aclnnStatus code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(b->fn, code, fmt, ap);
    va_end(ap);
    return code;
}

aclnnStatus p1_begin(p1 *b, const char *fn, int op, const char *opname, sim_run_fn run, const uint64_t *ws,
                     aclOpExecutor *const *ex)
{
    b->fn = fn;
    b->ex = NULL;
    aclsim_internal_lock();
    b->locked = true;
    if (!aclsim_internal_initialized())
        return p1_fail(b, ACLNN_ERR_RUNTIME_ERROR, "AscendCL is not initialised (call aclInit)");
    if (!aclsim_internal_has_context())
        return p1_fail(b, ACL_ERROR_RT_CONTEXT_NULL,
                       "no current context on this thread (call aclrtSetDevice or aclrtSetCurrentContext)");
    if (ws == NULL) return p1_fail(b, ST_NULL, "workspaceSize is NULL");
    if (ex == NULL) return p1_fail(b, ST_NULL, "executor is NULL");
    b->ex = calloc(1, sizeof *b->ex);
    if (b->ex == NULL) return p1_fail(b, 561000, "out of host memory");
    b->ex->op = op;
    b->ex->opname = opname;
    b->ex->run = run;
    return ACLNN_SUCCESS;
}

static aclnnStatus check_tensor(p1 *b, const char *name, const aclTensor *t)
{
    if (aclsim_internal_reg_kind(t) != SIM_K_TENSOR)
        return p1_fail(b, ST_INVALID, "%s (%p) is not a live aclTensor", name, (const void *)t);
    for (uint64_t d = 0; d < t->ndim; d++)
        if (t->dims[d] > ((int64_t)1 << 40))
            return p1_fail(b, ST_INVALID, "%s has an implausibly large dimension %s", name, SHAPE(t));
    if (sim_numel(t) > ((int64_t)1 << 46))
        return p1_fail(b, ST_INVALID, "%s %s has too many elements", name, SHAPE(t));
    if (!tensor_on_device(t))
        return p1_fail(b, ST_INVALID, "%s (data %p, offset %lld, shape %s) is not device memory", name, t->data,
                       (long long)t->offset, SHAPE(t));
    return ACLNN_SUCCESS;
}

aclnnStatus p1_tensor(p1 *b, int slot, const char *name, const aclTensor *t, bool required)
{
    if (t == NULL) return required ? p1_fail(b, ST_NULL, "%s is NULL", name) : ACLNN_SUCCESS;
    P1_TRY(check_tensor(b, name, t));
    b->ex->t[slot] = *t;
    b->ex->t[slot].owned_by_list = false;
    b->ex->has[slot] = true;
    return ACLNN_SUCCESS;
}

aclnnStatus p1_list1(p1 *b, int slot, const char *name, const aclTensorList *l)
{
    if (l == NULL) return p1_fail(b, ST_NULL, "%s is NULL", name);
    if (aclsim_internal_reg_kind(l) != SIM_K_TENSORLIST)
        return p1_fail(b, ST_INVALID, "%s (%p) is not a live aclTensorList", name, (const void *)l);
    if (l->size != 1)
        return p1_fail(b, ST_INVALID, "%s holds %llu tensors; acl-sim supports exactly one", name,
                       (unsigned long long)l->size);
    return p1_tensor(b, slot, name, l->tensors[0], true);
}

aclnnStatus p1_end(p1 *b, aclnnStatus rc, uint64_t workspace, uint64_t *ws, aclOpExecutor **ex)
{
    if (rc == ACLNN_SUCCESS) {
        b->ex->workspace = workspace;
        if (!aclsim_internal_reg_add(b->ex, SIM_K_EXECUTOR)) {
            rc = p1_fail(b, 561000, "out of host memory");
        } else {
            *ws = workspace;
            *ex = b->ex;
            b->ex = NULL;
        }
    }
    free(b->ex);
    b->ex = NULL;
    if (b->locked) aclsim_internal_unlock();
    b->locked = false;
    return rc;
}

aclnnStatus p1_float_dtype(p1 *b, const char *name, const aclTensor *t)
{
    if (!sim_is_float(t->dtype))
        return p1_fail(b, ST_INVALID, "%s dtype %s is not supported (FLOAT, FLOAT16 or BF16)", name, DTYPE(t));
    return ACLNN_SUCCESS;
}

aclnnStatus p1_dtype(p1 *b, const char *name, const aclTensor *t, int32_t dt)
{
    if (t->dtype != dt)
        return p1_fail(b, ST_INVALID, "%s dtype %s must be %s", name, DTYPE(t), sim_dtype_name(dt));
    return ACLNN_SUCCESS;
}

aclnnStatus p1_rank(p1 *b, const char *name, const aclTensor *t, uint64_t rank)
{
    if (t->ndim != rank)
        return p1_fail(b, ST_INVALID, "%s must have rank %llu, got shape %s", name, (unsigned long long)rank,
                       SHAPE(t));
    return ACLNN_SUCCESS;
}

/* ---------------------------------------------------------------- phase 2 */

aclnnStatus p2_fail(const aclOpExecutor *ex, aclnnStatus code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ex->opname, code, fmt, ap);
    va_end(ap);
    return code;
}

aclnnStatus p2_oom(const aclOpExecutor *ex) { return p2_fail(ex, 561000, "out of host memory"); }

static aclnnStatus fail_fn(const char *fn, aclnnStatus code, const char *fmt, ...) ACLSIM_PRINTF(3, 4);
static aclnnStatus fail_fn(const char *fn, aclnnStatus code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(fn, code, fmt, ap);
    va_end(ap);
    return code;
}

aclnnStatus p2_run(const char *fn, int op, void *workspace, uint64_t workspaceSize, aclOpExecutor *ex,
                   aclrtStream stream)
{
    if (!aclsim_internal_initialized())
        return fail_fn(fn, ACLNN_ERR_RUNTIME_ERROR, "AscendCL is not initialised (call aclInit)");
    if (ex == NULL) return fail_fn(fn, ST_NULL, "executor is NULL");
    aclnnStatus rc = ACLNN_SUCCESS;
    aclsim_internal_lock();
    if (aclsim_internal_reg_kind(ex) != SIM_K_EXECUTOR) {
        rc = fail_fn(fn, ST_INVALID,
                     "executor %p is unknown or already used (executor used twice? an aclOpExecutor is single-use)",
                     (void *)ex);
        goto unlock;
    }
    if (ex->op != op) {
        rc = fail_fn(fn, ST_INVALID, "executor %p was built by %sGetWorkspaceSize, not by %sGetWorkspaceSize",
                     (void *)ex, ex->opname, fn);
        goto unlock;
    }
    if (ex->workspace > 0) {
        if (workspace == NULL) {
            rc = fail_fn(fn, ST_INVALID, "workspace is NULL but %llu bytes are required",
                         (unsigned long long)ex->workspace);
            goto unlock;
        }
        if (workspaceSize < ex->workspace) {
            rc = fail_fn(fn, ST_INVALID, "workspaceSize %llu is less than the %llu bytes required",
                         (unsigned long long)workspaceSize, (unsigned long long)ex->workspace);
            goto unlock;
        }
        if (!aclsim_internal_is_device_range(workspace, ex->workspace)) {
            rc = fail_fn(fn, ST_INVALID, "workspace [%p, +%llu) is not device memory", workspace,
                         (unsigned long long)ex->workspace);
            goto unlock;
        }
    }
    if (!aclsim_internal_stream_ok(stream)) {
        rc = fail_fn(fn, ST_INVALID, "stream %p is not a live stream", stream);
        goto unlock;
    }
    for (int i = 0; i < SIM_EXEC_MAX_T; i++) {
        if (ex->has[i] && !tensor_on_device(&ex->t[i])) {
            rc = fail_fn(fn, ST_INVALID, "tensor #%d (data %p) is no longer device memory (freed after phase 1?)", i,
                         ex->t[i].data);
            goto unlock;
        }
    }
    int32_t code;
    bool fault = aclsim_internal_take_fault(SIM_FAULT_LAUNCH, &code);
    aclsim_internal_reg_remove(ex, SIM_K_EXECUTOR); /* consumed from here on */
    aclsim_internal_unlock();
    if (fault) {
        free(ex);
        return fail_fn(fn, code, "injected launch fault");
    }
    rc = ex->run(ex);
    free(ex);
    if (rc == ACLNN_SUCCESS) aclsim_internal_count(SIM_CNT_ACLNN_LAUNCH);
    return rc;
unlock:
    aclsim_internal_unlock();
    return rc;
}
