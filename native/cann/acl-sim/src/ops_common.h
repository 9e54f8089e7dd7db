/* libopapi internals: tensor access, phase-1 builder, phase-2 runner. */
#ifndef ACLSIM_OPS_COMMON_H
#define ACLSIM_OPS_COMMON_H

#include "sim_internal.h"

enum {
    OP_MATMUL = 1,
    OP_BATCHMATMUL,
    OP_SOFTMAX,
    OP_RMSNORM,
    OP_SILU,
    OP_SWIGLU,
    OP_ADD,
    OP_MUL,
    OP_CAST,
    OP_ROPE,
    OP_MOE_GATING_TOPK,
    OP_MOE_INIT_ROUTING_V2,
    OP_MOE_FINALIZE_ROUTING_V2,
    OP_GROUPED_MATMUL_V4
};

#define ST_NULL ACLNN_ERR_PARAM_NULLPTR
#define ST_INVALID ACLNN_ERR_PARAM_INVALID

size_t sim_dtype_size(int32_t dt);
const char *sim_dtype_name(int32_t dt);
bool sim_is_float(int32_t dt); /* F32 / F16 / BF16 */
int64_t sim_numel(const aclTensor *t);
bool sim_same_shape(const aclTensor *a, const aclTensor *b);
const char *sim_shape_str(const aclTensor *t, char *buf, size_t n);
#define SHAPE(t) sim_shape_str((t), (char[192]){0}, 192)
#define DTYPE(t) sim_dtype_name((t)->dtype)

/* element access; eoff is in elements from t->data */
float sim_load(const aclTensor *t, int64_t eoff);
void sim_store(const aclTensor *t, int64_t eoff, float v); /* float dtypes (and DOUBLE) */
int64_t sim_load_i(const aclTensor *t, int64_t eoff);      /* integer dtypes */
void sim_store_i(const aclTensor *t, int64_t eoff, int64_t v);
int64_t sim_elem_offset(const aclTensor *t, const int64_t *idx); /* offset of a multi-index */

/* row-major walk over a tensor's element offsets */
typedef struct sim_iter {
    const aclTensor *t;
    int64_t idx[SIM_MAX_DIMS];
    int64_t off; /* element offset of the current element */
} sim_iter;
void sim_it_init(sim_iter *it, const aclTensor *t, int64_t start); /* start: row-major linear index */
void sim_it_next(sim_iter *it);

/* contiguous row-major float copy of a tensor (malloc'd; never NULL for numel 0; NULL only on OOM) */
float *sim_gather(const aclTensor *t);
/* same, broadcast (NumPy rules, aligned right) to the shape (ndim, dims) */
float *sim_gather_bcast(const aclTensor *t, uint64_t ndim, const int64_t *dims);
int64_t *sim_gather_i(const aclTensor *t);
/* writes src[i] to element i (row-major linear index) for i in [start, end) */
void sim_scatter_range(const aclTensor *t, const float *src, int64_t start, int64_t end);
void sim_scatter(const aclTensor *t, const float *src);

/* ---- phase 1 ---- */
typedef struct p1 {
    const char *fn;
    aclOpExecutor *ex;
    bool locked;
} p1;

/* locks; checks aclInit, the current context, workspaceSize/executor; allocates the executor */
aclnnStatus p1_begin(p1 *b, const char *fn, int op, const char *opname, sim_run_fn run, const uint64_t *ws,
                     aclOpExecutor *const *ex);
aclnnStatus p1_fail(p1 *b, aclnnStatus code, const char *fmt, ...) ACLSIM_PRINTF(3, 4);
/* validates a tensor argument (NULL -> 161001 when required; live; device memory) and copies it into slot */
aclnnStatus p1_tensor(p1 *b, int slot, const char *name, const aclTensor *t, bool required);
/* a tensor list that must hold exactly one tensor (copied into slot) */
aclnnStatus p1_list1(p1 *b, int slot, const char *name, const aclTensorList *l);
/* on success registers the executor and writes *ws / *ex; on failure frees it; unlocks; returns rc */
aclnnStatus p1_end(p1 *b, aclnnStatus rc, uint64_t workspace, uint64_t *ws, aclOpExecutor **ex);

#define P1_TRY(expr)                        \
    do {                                    \
        aclnnStatus r_ = (expr);            \
        if (r_ != ACLNN_SUCCESS) return r_; \
    } while (0)
#define P1_CHECK(cond, ...)                                        \
    do {                                                           \
        if (!(cond)) return p1_fail(b, ST_INVALID, __VA_ARGS__);   \
    } while (0)

/* phase-1 body helpers */
aclnnStatus p1_float_dtype(p1 *b, const char *name, const aclTensor *t);
aclnnStatus p1_dtype(p1 *b, const char *name, const aclTensor *t, int32_t dt);
aclnnStatus p1_rank(p1 *b, const char *name, const aclTensor *t, uint64_t rank);

/* ---- phase 2 ---- */
aclnnStatus p2_run(const char *fn, int op, void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,
                   aclrtStream stream);
/* for run functions: data-dependent failure (message names the operator) */
aclnnStatus p2_fail(const aclOpExecutor *ex, aclnnStatus code, const char *fmt, ...) ACLSIM_PRINTF(3, 4);
aclnnStatus p2_oom(const aclOpExecutor *ex);

#define DEFINE_PHASE2(Name, OP)                                                                          \
    ACLSIM_API aclnnStatus Name(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor,          \
                                aclrtStream stream)                                                      \
    {                                                                                                    \
        return p2_run(#Name, OP, workspace, workspaceSize, executor, stream);                            \
    }

#endif
