/* libnnopbase: aclTensor / aclScalar / aclIntArray / aclTensorList / aclOpExecutor lifetimes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

static size_t dtype_size(int32_t dt)
{
    switch (dt) {
    case ACL_FLOAT: case ACL_INT32: return 4;
    case ACL_FLOAT16: case ACL_BF16: return 2;
    case ACL_INT64: case ACL_DOUBLE: return 8;
    case ACL_INT8: case ACL_UINT8: case ACL_BOOL: return 1;
    default: return 0;
    }
}

static aclnnStatus nn_fail(aclnnStatus code, const char *fn, const char *fmt, ...) ACLSIM_PRINTF(3, 4);
static aclnnStatus nn_fail(aclnnStatus code, const char *fn, const char *fmt, ...)
{
    char body[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    aclsim_internal_set_error("%s: %s (error %d)", fn, body, (int)code);
    return code;
}

ACLSIM_API aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, int32_t dataType,
                                      const int64_t *stride, int64_t offset, int32_t format,
                                      const int64_t *storageDims, uint64_t storageDimsNum, void *tensorData)
{
    static const char fn[] = "aclCreateTensor";
    if (viewDimsNum > SIM_MAX_DIMS) {
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "viewDimsNum %llu exceeds %d", (unsigned long long)viewDimsNum,
                SIM_MAX_DIMS);
        return NULL;
    }
    if (viewDimsNum > 0 && viewDims == NULL) {
        nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "viewDims is NULL but viewDimsNum is %llu",
                (unsigned long long)viewDimsNum);
        return NULL;
    }
    if (storageDimsNum > SIM_MAX_DIMS) {
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "storageDimsNum %llu exceeds %d", (unsigned long long)storageDimsNum,
                SIM_MAX_DIMS);
        return NULL;
    }
    if (storageDimsNum > 0 && storageDims == NULL) {
        nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "storageDims is NULL but storageDimsNum is %llu",
                (unsigned long long)storageDimsNum);
        return NULL;
    }
    if (dtype_size(dataType) == 0) {
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "dataType %d is not supported by acl-sim", dataType);
        return NULL;
    }
    for (uint64_t i = 0; i < viewDimsNum; i++) {
        if (viewDims[i] < 0) {
            nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "viewDims[%llu] is negative (%lld)", (unsigned long long)i,
                    (long long)viewDims[i]);
            return NULL;
        }
    }
    for (uint64_t i = 0; i < storageDimsNum; i++) {
        if (storageDims[i] < 0) {
            nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "storageDims[%llu] is negative (%lld)", (unsigned long long)i,
                    (long long)storageDims[i]);
            return NULL;
        }
    }
    aclTensor *t = calloc(1, sizeof *t);
    if (t == NULL) {
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "out of host memory");
        return NULL;
    }
    t->dtype = dataType;
    t->format = format;
    t->ndim = viewDimsNum;
    t->offset = offset;
    t->data = tensorData;
    if (viewDimsNum > 0) memcpy(t->dims, viewDims, viewDimsNum * sizeof(int64_t));
    if (stride != NULL && viewDimsNum > 0) {
        memcpy(t->strides, stride, viewDimsNum * sizeof(int64_t));
    } else {
        int64_t s = 1;
        for (uint64_t i = viewDimsNum; i-- > 0;) {
            t->strides[i] = s;
            s *= t->dims[i] > 1 ? t->dims[i] : 1;
        }
    }
    t->storage_ndim = storageDimsNum;
    if (storageDimsNum > 0) memcpy(t->storage_dims, storageDims, storageDimsNum * sizeof(int64_t));
    if (!aclsim_internal_reg_add(t, SIM_K_TENSOR)) {
        free(t);
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "out of host memory");
        return NULL;
    }
    return t;
}

ACLSIM_API aclnnStatus aclDestroyTensor(const aclTensor *tensor)
{
    static const char fn[] = "aclDestroyTensor";
    if (tensor == NULL) return nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "tensor is NULL");
    aclnnStatus rc = ACLNN_SUCCESS;
    aclsim_internal_lock();
    if (aclsim_internal_reg_kind(tensor) != SIM_K_TENSOR)
        rc = nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "%p is not a live aclTensor (double destroy?)", (const void *)tensor);
    else if (tensor->owned_by_list)
        rc = nn_fail(ACLNN_ERR_PARAM_INVALID, fn,
                     "%p belongs to an aclTensorList (aclDestroyTensorList destroys it)", (const void *)tensor);
    else {
        aclsim_internal_reg_remove(tensor, SIM_K_TENSOR);
        free((void *)tensor);
    }
    aclsim_internal_unlock();
    return rc;
}

ACLSIM_API aclScalar *aclCreateScalar(void *value, int32_t dataType)
{
    static const char fn[] = "aclCreateScalar";
    size_t n;
    switch (dataType) {
    case ACL_FLOAT: case ACL_INT32: n = 4; break;
    case ACL_FLOAT16: case ACL_BF16: n = 2; break;
    case ACL_DOUBLE: case ACL_INT64: n = 8; break;
    default:
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "dataType %d is not supported for scalars by acl-sim", dataType);
        return NULL;
    }
    if (value == NULL) {
        nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "value is NULL");
        return NULL;
    }
    aclScalar *s = calloc(1, sizeof *s);
    if (s == NULL || !aclsim_internal_reg_add(s, SIM_K_SCALAR)) {
        free(s);
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "out of host memory");
        return NULL;
    }
    s->dtype = dataType;
    memcpy(s->value, value, n);
    return s;
}

ACLSIM_API aclnnStatus aclDestroyScalar(const aclScalar *scalar)
{
    static const char fn[] = "aclDestroyScalar";
    if (scalar == NULL) return nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "scalar is NULL");
    if (!aclsim_internal_reg_remove(scalar, SIM_K_SCALAR))
        return nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "%p is not a live aclScalar (double destroy?)",
                       (const void *)scalar);
    free((void *)scalar);
    return ACLNN_SUCCESS;
}

ACLSIM_API aclIntArray *aclCreateIntArray(const int64_t *value, uint64_t size)
{
    static const char fn[] = "aclCreateIntArray";
    if (value == NULL && size > 0) {
        nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "value is NULL but size is %llu", (unsigned long long)size);
        return NULL;
    }
    if (size > ((uint64_t)1 << 40)) {
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "size %llu is too large", (unsigned long long)size);
        return NULL;
    }
    aclIntArray *a = calloc(1, sizeof *a);
    int64_t *v = malloc(size ? size * sizeof(int64_t) : 1);
    if (a == NULL || v == NULL || !aclsim_internal_reg_add(a, SIM_K_INTARRAY)) {
        free(a);
        free(v);
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "out of host memory");
        return NULL;
    }
    if (size > 0) memcpy(v, value, size * sizeof(int64_t));
    a->size = size;
    a->values = v;
    return a;
}

ACLSIM_API aclnnStatus aclDestroyIntArray(const aclIntArray *array)
{
    static const char fn[] = "aclDestroyIntArray";
    if (array == NULL) return nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "array is NULL");
    if (!aclsim_internal_reg_remove(array, SIM_K_INTARRAY))
        return nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "%p is not a live aclIntArray (double destroy?)",
                       (const void *)array);
    free(array->values);
    free((void *)array);
    return ACLNN_SUCCESS;
}

ACLSIM_API aclTensorList *aclCreateTensorList(const aclTensor *const *value, uint64_t size)
{
    static const char fn[] = "aclCreateTensorList";
    aclTensorList *l = NULL;
    if (value == NULL && size > 0) {
        nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "value is NULL but size is %llu", (unsigned long long)size);
        return NULL;
    }
    if (size > ((uint64_t)1 << 32)) {
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "size %llu is too large", (unsigned long long)size);
        return NULL;
    }
    aclsim_internal_lock();
    for (uint64_t i = 0; i < size; i++) {
        const aclTensor *t = value[i];
        if (t == NULL) {
            nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "value[%llu] is NULL", (unsigned long long)i);
            goto out;
        }
        if (aclsim_internal_reg_kind(t) != SIM_K_TENSOR) {
            nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "value[%llu] (%p) is not a live aclTensor", (unsigned long long)i,
                    (const void *)t);
            goto out;
        }
        if (t->owned_by_list) {
            nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "value[%llu] (%p) already belongs to an aclTensorList",
                    (unsigned long long)i, (const void *)t);
            goto out;
        }
        for (uint64_t j = 0; j < i; j++) {
            if (value[j] == t) {
                nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "value[%llu] repeats value[%llu]", (unsigned long long)i,
                        (unsigned long long)j);
                goto out;
            }
        }
    }
    l = calloc(1, sizeof *l);
    aclTensor **v = malloc(size ? size * sizeof(aclTensor *) : 1);
    if (l == NULL || v == NULL || !aclsim_internal_reg_add(l, SIM_K_TENSORLIST)) {
        free(l);
        free(v);
        l = NULL;
        nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "out of host memory");
        goto out;
    }
    for (uint64_t i = 0; i < size; i++) {
        v[i] = (aclTensor *)value[i];
        v[i]->owned_by_list = true; /* the list takes ownership, as the real nnopbase does */
    }
    l->size = size;
    l->tensors = v;
out:
    aclsim_internal_unlock();
    return l;
}

ACLSIM_API aclnnStatus aclDestroyTensorList(const aclTensorList *array)
{
    static const char fn[] = "aclDestroyTensorList";
    if (array == NULL) return nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "array is NULL");
    aclsim_internal_lock();
    if (!aclsim_internal_reg_remove(array, SIM_K_TENSORLIST)) {
        aclsim_internal_unlock();
        return nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "%p is not a live aclTensorList (double destroy?)",
                       (const void *)array);
    }
    for (uint64_t i = 0; i < array->size; i++) {
        aclsim_internal_reg_remove(array->tensors[i], SIM_K_TENSOR);
        free(array->tensors[i]);
    }
    aclsim_internal_unlock();
    free(array->tensors);
    free((void *)array);
    return ACLNN_SUCCESS;
}

ACLSIM_API aclnnStatus aclDestroyAclOpExecutor(aclOpExecutor *executor)
{
    static const char fn[] = "aclDestroyAclOpExecutor";
    if (executor == NULL) return nn_fail(ACLNN_ERR_PARAM_NULLPTR, fn, "executor is NULL");
    if (!aclsim_internal_reg_remove(executor, SIM_K_EXECUTOR))
        return nn_fail(ACLNN_ERR_PARAM_INVALID, fn, "%p is not a live aclOpExecutor (already run or destroyed?)",
                       (void *)executor);
    free(executor);
    return ACLNN_SUCCESS;
}
