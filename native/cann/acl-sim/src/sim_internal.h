/* acl-sim internals shared by libascendcl, libnnopbase and libopapi. Not a public header. */
#ifndef ACLSIM_INTERNAL_H
#define ACLSIM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aclsim.h"

#define ACLSIM_API __attribute__((visibility("default")))
#define ACLSIM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* handle kinds in the shared registry (libascendcl) */
enum {
    SIM_K_NONE = 0,
    SIM_K_CONTEXT,     /* created with aclrtCreateContext */
    SIM_K_CONTEXT_DEF, /* a device's default context */
    SIM_K_STREAM,
    SIM_K_EVENT,
    SIM_K_BINARY,
    SIM_K_FUNCTION,
    SIM_K_TENSOR,
    SIM_K_SCALAR,
    SIM_K_INTARRAY,
    SIM_K_TENSORLIST,
    SIM_K_EXECUTOR,
    SIM_K_COUNT
};

/* fault kinds (aclsimInjectFault) */
enum { SIM_FAULT_ALLOC = 1, SIM_FAULT_LAUNCH = 2, SIM_FAULT_COPY = 3 };
/* counters (aclsimCounter) */
enum { SIM_CNT_INIT = 0, SIM_CNT_FINALIZE = 1, SIM_CNT_ACLNN_LAUNCH = 2, SIM_CNT_KERNEL_LAUNCH = 3, SIM_CNT_N = 4 };

#define SIM_MAX_DIMS 8

struct aclTensor {
    int32_t dtype;
    int32_t format;
    uint64_t ndim;
    int64_t dims[SIM_MAX_DIMS];
    int64_t strides[SIM_MAX_DIMS]; /* in elements */
    int64_t offset;                /* in elements, from data */
    uint64_t storage_ndim;
    int64_t storage_dims[SIM_MAX_DIMS];
    void *data;
    bool owned_by_list; /* a tensor list took ownership */
};

struct aclScalar {
    int32_t dtype;
    unsigned char value[8];
};

struct aclIntArray {
    uint64_t size;
    int64_t *values;
};

struct aclTensorList {
    uint64_t size;
    aclTensor **tensors;
};

#define SIM_EXEC_MAX_T 10
struct aclOpExecutor;
typedef aclnnStatus (*sim_run_fn)(struct aclOpExecutor *ex);

struct aclOpExecutor {
    int op;             /* operator id (libopapi) */
    const char *opname; /* "aclnnMatmul" ... (static string in libopapi) */
    sim_run_fn run;
    uint64_t workspace; /* required workspace bytes */
    bool has[SIM_EXEC_MAX_T];
    aclTensor t[SIM_EXEC_MAX_T]; /* deep copies of the descriptors */
    int64_t i[8];                /* integer attributes */
    double d[4];                 /* floating attributes */
};

/* ---- helpers exported by libascendcl for the other libraries ---- */
ACLSIM_API void aclsim_internal_lock(void);   /* recursive global mutex */
ACLSIM_API void aclsim_internal_unlock(void);
ACLSIM_API void aclsim_internal_set_error(const char *fmt, ...) ACLSIM_PRINTF(1, 2);
ACLSIM_API void aclsim_internal_vset_error(const char *fmt, va_list ap);
ACLSIM_API bool aclsim_internal_initialized(void);
ACLSIM_API bool aclsim_internal_has_context(void);
ACLSIM_API bool aclsim_internal_reg_add(const void *p, int kind);
ACLSIM_API bool aclsim_internal_reg_remove(const void *p, int kind);
ACLSIM_API int aclsim_internal_reg_kind(const void *p); /* SIM_K_NONE when unknown */
/* true when [p, p+bytes) (bytes >= 1) lies inside one live device allocation */
ACLSIM_API bool aclsim_internal_is_device_range(const void *p, uint64_t bytes);
/* true (and *code set, fault cleared) when a fault of this kind is pending */
ACLSIM_API bool aclsim_internal_take_fault(int kind, int32_t *code);
ACLSIM_API void aclsim_internal_count(int what);
ACLSIM_API bool aclsim_internal_stream_ok(const void *stream); /* NULL (default stream) or a live stream */

/* ---- numeric.c (compiled into libopapi) ---- */
float sim_f16_to_f32(uint16_t h);
uint16_t sim_f32_to_f16(float f);
float sim_bf16_to_f32(uint16_t h);
uint16_t sim_f32_to_bf16(float f);
uint16_t sim_f64_to_f16(double d);  /* single rounding */
uint16_t sim_f64_to_bf16(double d); /* single rounding */
float sim_f64_to_f32(double d);

#endif
