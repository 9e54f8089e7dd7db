/* libascendcl-private state shared by runtime.c, rt_memory.c, rt_stream.c and rt_binary.c. */
#ifndef ACLSIM_RT_STATE_H
#define ACLSIM_RT_STATE_H

#include "sim_internal.h"

typedef struct sim_ctx {
    uint64_t serial; /* unique, never reused */
    int32_t device;
    bool is_default;
} sim_ctx;

typedef struct sim_state {
    bool initialized;
    uint64_t epoch; /* bumped by aclInit and aclFinalize: invalidates every thread's current context */
    int32_t device_count;
    uint64_t budget; /* bytes, ACLSIM_MEMORY_BYTES */
    sim_ctx **defaults; /* [device_count], created lazily by aclrtSetDevice */
    int32_t fault_code[4];
    bool fault_set[4];
    int64_t counters[SIM_CNT_N];
    int64_t live[SIM_K_COUNT];
} sim_state;

extern sim_state g_sim;

/* stores "fn: message" as this thread's recent error message and returns code */
int rt_fail(const char *fn, int code, const char *fmt, ...) ACLSIM_PRINTF(3, 4);
sim_ctx *rt_current_ctx(void); /* call with the lock held; NULL when this thread has no valid current context */
bool rt_is_ctx(const void *p);
const char *rt_kind_name(int kind);

/* rt_memory.c */
int64_t rt_mem_live_count(bool pinned);
uint64_t rt_mem_live_bytes(bool pinned);

/* Entry/exit pattern for runtime calls: holds the global lock, fails with 100001 before aclInit. */
#define RT_ENTER_NOINIT(name)             \
    static const char *const fn_ = name; \
    int rc = ACL_SUCCESS;                 \
    aclsim_internal_lock();
#define RT_ENTER(name)                                                                         \
    RT_ENTER_NOINIT(name)                                                                      \
    if (!g_sim.initialized) {                                                                  \
        rc = rt_fail(fn_, ACL_ERROR_UNINITIALIZE, "AscendCL is not initialised (call aclInit)"); \
        goto done;                                                                             \
    }
#define RT_NEED_CTX()                                                                                         \
    do {                                                                                                      \
        if (rt_current_ctx() == NULL) {                                                                       \
            rc = rt_fail(fn_, ACL_ERROR_RT_CONTEXT_NULL,                                                      \
                         "no current context on this thread (call aclrtSetDevice or aclrtSetCurrentContext)"); \
            goto done;                                                                                        \
        }                                                                                                     \
    } while (0)
#define RT_FAIL(code, ...)                      \
    do {                                        \
        rc = rt_fail(fn_, (code), __VA_ARGS__); \
        goto done;                              \
    } while (0)
#define RT_NOTNULL(p, what)                                                      \
    do {                                                                         \
        if ((p) == NULL) RT_FAIL(ACL_ERROR_INVALID_PARAM, "%s is NULL", (what)); \
    } while (0)
#define RT_LEAVE               \
    done:                      \
    aclsim_internal_unlock(); \
    return rc;

#endif
