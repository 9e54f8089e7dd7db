/* libascendcl core: global state, handle registry, errors, faults, init/finalize, devices, contexts, sim-only exports. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_state.h"

sim_state g_sim = {.device_count = 1, .budget = 16ull << 30};

static pthread_mutex_t g_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static _Thread_local char tl_msg[1024];
static _Thread_local sim_ctx *tl_ctx;
static _Thread_local uint64_t tl_ctx_serial;
static _Thread_local uint64_t tl_ctx_epoch;
static uint64_t g_next_serial = 1;

ACLSIM_API void aclsim_internal_lock(void) { pthread_mutex_lock(&g_mutex); }
ACLSIM_API void aclsim_internal_unlock(void) { pthread_mutex_unlock(&g_mutex); }

/* ---------------------------------------------------------------- errors */

ACLSIM_API void aclsim_internal_vset_error(const char *fmt, va_list ap) { vsnprintf(tl_msg, sizeof tl_msg, fmt, ap); }

ACLSIM_API void aclsim_internal_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aclsim_internal_vset_error(fmt, ap);
    va_end(ap);
}

int rt_fail(const char *fn, int code, const char *fmt, ...)
{
    char body[896];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    aclsim_internal_set_error("%s: %s (error %d)", fn, body, code);
    return code;
}

ACLSIM_API const char *aclGetRecentErrMsg(void) { return tl_msg; }

/* ---------------------------------------------------------------- registry (pointer -> kind) */

typedef struct reg_node {
    const void *p;
    int kind;
    struct reg_node *next;
} reg_node;

#define REG_BUCKETS 4096u
static reg_node *g_reg[REG_BUCKETS];

static unsigned reg_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9E3779B97F4A7C15ull;
    return (unsigned)(x >> 52) & (REG_BUCKETS - 1);
}

ACLSIM_API bool aclsim_internal_reg_add(const void *p, int kind)
{
    if (p == NULL || kind <= SIM_K_NONE || kind >= SIM_K_COUNT) return false;
    reg_node *n = malloc(sizeof *n);
    if (n == NULL) return false;
    aclsim_internal_lock();
    unsigned h = reg_hash(p);
    n->p = p;
    n->kind = kind;
    n->next = g_reg[h];
    g_reg[h] = n;
    g_sim.live[kind]++;
    aclsim_internal_unlock();
    return true;
}

ACLSIM_API bool aclsim_internal_reg_remove(const void *p, int kind)
{
    bool found = false;
    aclsim_internal_lock();
    for (reg_node **pp = &g_reg[reg_hash(p)]; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->p == p && (*pp)->kind == kind) {
            reg_node *n = *pp;
            *pp = n->next;
            free(n);
            g_sim.live[kind]--;
            found = true;
            break;
        }
    }
    aclsim_internal_unlock();
    return found;
}

ACLSIM_API int aclsim_internal_reg_kind(const void *p)
{
    int kind = SIM_K_NONE;
    if (p == NULL) return kind;
    aclsim_internal_lock();
    for (reg_node *n = g_reg[reg_hash(p)]; n != NULL; n = n->next) {
        if (n->p == p) {
            kind = n->kind;
            break;
        }
    }
    aclsim_internal_unlock();
    return kind;
}

const char *rt_kind_name(int kind)
{
    static const char *const names[SIM_K_COUNT] = {"unknown handle", "context",     "default context", "stream",
                                                   "event",          "binary",      "function",        "aclTensor",
                                                   "aclScalar",      "aclIntArray", "aclTensorList",   "aclOpExecutor"};
    return (kind >= 0 && kind < SIM_K_COUNT) ? names[kind] : "unknown handle";
}

/* ---------------------------------------------------------------- misc internal helpers */

ACLSIM_API bool aclsim_internal_initialized(void)
{
    aclsim_internal_lock();
    bool r = g_sim.initialized;
    aclsim_internal_unlock();
    return r;
}

bool rt_is_ctx(const void *p)
{
    int k = aclsim_internal_reg_kind(p);
    return k == SIM_K_CONTEXT || k == SIM_K_CONTEXT_DEF;
}

sim_ctx *rt_current_ctx(void)
{
    if (!g_sim.initialized || tl_ctx == NULL || tl_ctx_epoch != g_sim.epoch) return NULL;
    if (!rt_is_ctx(tl_ctx) || tl_ctx->serial != tl_ctx_serial) return NULL;
    return tl_ctx;
}

static void set_current(sim_ctx *c)
{
    tl_ctx = c;
    tl_ctx_serial = c ? c->serial : 0;
    tl_ctx_epoch = g_sim.epoch;
}

ACLSIM_API bool aclsim_internal_has_context(void)
{
    aclsim_internal_lock();
    bool r = rt_current_ctx() != NULL;
    aclsim_internal_unlock();
    return r;
}

ACLSIM_API bool aclsim_internal_take_fault(int kind, int32_t *code)
{
    bool r = false;
    if (kind < 1 || kind > 3) return false;
    aclsim_internal_lock();
    if (g_sim.fault_set[kind]) {
        g_sim.fault_set[kind] = false;
        *code = g_sim.fault_code[kind];
        r = true;
    }
    aclsim_internal_unlock();
    return r;
}

ACLSIM_API void aclsim_internal_count(int what)
{
    if (what < 0 || what >= SIM_CNT_N) return;
    aclsim_internal_lock();
    g_sim.counters[what]++;
    aclsim_internal_unlock();
}

ACLSIM_API bool aclsim_internal_stream_ok(const void *stream)
{
    return stream == NULL || aclsim_internal_reg_kind(stream) == SIM_K_STREAM;
}

static sim_ctx *ctx_new(int32_t device, bool is_default)
{
    sim_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->serial = g_next_serial++;
    c->device = device;
    c->is_default = is_default;
    if (!aclsim_internal_reg_add(c, is_default ? SIM_K_CONTEXT_DEF : SIM_K_CONTEXT)) {
        free(c);
        return NULL;
    }
    return c;
}

/* ---------------------------------------------------------------- sim-only exports */

ACLSIM_API const char *aclsimIdentify(void)
{
    return "acl-sim 1.0: AscendCL + aclnn stand-in on host memory (not Ascend hardware)";
}

ACLSIM_API int64_t aclsimLiveCount(int32_t what)
{
    int64_t r = -1;
    aclsim_internal_lock();
    switch (what) {
    case 0: r = rt_mem_live_count(false); break;
    case 1: r = rt_mem_live_count(true); break;
    case 2:
        r = g_sim.live[SIM_K_TENSOR] + g_sim.live[SIM_K_SCALAR] + g_sim.live[SIM_K_INTARRAY] +
            g_sim.live[SIM_K_TENSORLIST];
        break;
    case 3: r = g_sim.live[SIM_K_EXECUTOR]; break;
    case 4: r = g_sim.live[SIM_K_STREAM]; break;
    case 5: r = g_sim.live[SIM_K_EVENT]; break;
    case 6: r = g_sim.live[SIM_K_CONTEXT]; break;
    case 7: r = g_sim.live[SIM_K_BINARY]; break;
    case 8: r = (int64_t)rt_mem_live_bytes(false); break;
    default: break;
    }
    aclsim_internal_unlock();
    return r;
}

ACLSIM_API int64_t aclsimCounter(int32_t what)
{
    if (what < 0 || what >= SIM_CNT_N) return -1;
    aclsim_internal_lock();
    int64_t r = g_sim.counters[what];
    aclsim_internal_unlock();
    return r;
}

ACLSIM_API void aclsimInjectFault(int32_t kind, int32_t code)
{
    aclsim_internal_lock();
    if (kind == 0) {
        memset(g_sim.fault_set, 0, sizeof g_sim.fault_set);
    } else if (kind >= 1 && kind <= 3) {
        g_sim.fault_set[kind] = code != 0;
        g_sim.fault_code[kind] = code;
    }
    aclsim_internal_unlock();
}

/* ---------------------------------------------------------------- init / finalize */

static bool env_i64(const char *name, long long lo, long long hi, long long *out)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0') return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static void parse_fault_env(void)
{
    const char *s = getenv("ACLSIM_FAULT");
    if (s == NULL) return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
        char *colon = strchr(tok, ':');
        if (colon == NULL) continue;
        *colon = '\0';
        int kind = 0;
        if (strcmp(tok, "alloc") == 0) kind = SIM_FAULT_ALLOC;
        else if (strcmp(tok, "launch") == 0) kind = SIM_FAULT_LAUNCH;
        else if (strcmp(tok, "copy") == 0) kind = SIM_FAULT_COPY;
        char *end = NULL;
        long code = strtol(colon + 1, &end, 0);
        if (kind == 0 || end == colon + 1 || *end != '\0' || code == 0 || code < INT32_MIN || code > INT32_MAX)
            continue;
        g_sim.fault_set[kind] = true;
        g_sim.fault_code[kind] = (int32_t)code;
    }
}

ACLSIM_API aclError aclInit(const char *configPath)
{
    (void)configPath; /* the sim has no configuration file; any path (or NULL) is accepted */
    RT_ENTER_NOINIT("aclInit");
    if (g_sim.initialized) RT_FAIL(ACL_ERROR_REPEAT_INITIALIZE, "already initialised");
    long long v;
    g_sim.device_count = env_i64("ACLSIM_DEVICE_COUNT", 0, 1024, &v) ? (int32_t)v : 1;
    g_sim.budget = env_i64("ACLSIM_MEMORY_BYTES", 1, INT64_MAX, &v) ? (uint64_t)v : (16ull << 30);
    g_sim.defaults = g_sim.device_count > 0 ? calloc((size_t)g_sim.device_count, sizeof(sim_ctx *)) : NULL;
    if (g_sim.device_count > 0 && g_sim.defaults == NULL) RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    parse_fault_env();
    g_sim.epoch++;
    g_sim.initialized = true;
    g_sim.counters[SIM_CNT_INIT]++;
    RT_LEAVE
}

ACLSIM_API aclError aclFinalize(void)
{
    RT_ENTER_NOINIT("aclFinalize");
    if (!g_sim.initialized) RT_FAIL(ACL_ERROR_REPEAT_FINALIZE, "not initialised (aclFinalize without aclInit)");
    for (int32_t i = 0; i < g_sim.device_count; i++) {
        if (g_sim.defaults[i] != NULL) {
            aclsim_internal_reg_remove(g_sim.defaults[i], SIM_K_CONTEXT_DEF);
            free(g_sim.defaults[i]);
        }
    }
    free(g_sim.defaults);
    g_sim.defaults = NULL;
    /* user allocations, streams, events, contexts and binaries stay alive (and counted): that is how leaks show */
    g_sim.initialized = false;
    g_sim.epoch++;
    g_sim.counters[SIM_CNT_FINALIZE]++;
    RT_LEAVE
}

ACLSIM_API const char *aclrtGetSocName(void) { return "AclSim (host stand-in, not Ascend hardware)"; }

ACLSIM_API aclError aclrtGetVersion(int32_t *major, int32_t *minor, int32_t *patch)
{
    RT_ENTER("aclrtGetVersion");
    RT_NOTNULL(major, "major");
    RT_NOTNULL(minor, "minor");
    RT_NOTNULL(patch, "patch");
    *major = 1;
    *minor = 17;
    *patch = 0;
    RT_LEAVE
}

/* ---------------------------------------------------------------- devices */

static bool device_ok(int64_t id) { return id >= 0 && id < g_sim.device_count; }

#define RT_CHECK_DEVICE(id)                                                                               \
    do {                                                                                                  \
        if (!device_ok((int64_t)(id)))                                                                     \
            RT_FAIL(ACL_ERROR_RT_INVALID_DEVICEID, "device id %lld is out of range (device count %d)",    \
                    (long long)(id), g_sim.device_count);                                                 \
    } while (0)

ACLSIM_API aclError aclrtSetDevice(int32_t deviceId)
{
    RT_ENTER("aclrtSetDevice");
    RT_CHECK_DEVICE(deviceId);
    if (g_sim.defaults[deviceId] == NULL) {
        g_sim.defaults[deviceId] = ctx_new(deviceId, true);
        if (g_sim.defaults[deviceId] == NULL) RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    }
    set_current(g_sim.defaults[deviceId]);
    RT_LEAVE
}

ACLSIM_API aclError aclrtResetDevice(int32_t deviceId)
{
    RT_ENTER("aclrtResetDevice");
    RT_CHECK_DEVICE(deviceId);
    sim_ctx *cur = rt_current_ctx();
    if (cur != NULL && cur->device == deviceId && cur->is_default) set_current(NULL);
    RT_LEAVE
}

ACLSIM_API aclError aclrtGetDevice(int32_t *deviceId)
{
    RT_ENTER("aclrtGetDevice");
    RT_NOTNULL(deviceId, "deviceId");
    RT_NEED_CTX();
    *deviceId = rt_current_ctx()->device;
    RT_LEAVE
}

ACLSIM_API aclError aclrtGetDeviceCount(uint32_t *count)
{
    RT_ENTER("aclrtGetDeviceCount");
    RT_NOTNULL(count, "count");
    *count = (uint32_t)g_sim.device_count;
    RT_LEAVE
}

ACLSIM_API aclError aclrtSynchronizeDevice(void)
{
    RT_ENTER("aclrtSynchronizeDevice");
    RT_NEED_CTX();
    RT_LEAVE
}

ACLSIM_API aclError aclrtGetDeviceInfo(uint32_t deviceId, int32_t attr, int64_t *value)
{
    RT_ENTER("aclrtGetDeviceInfo");
    RT_NOTNULL(value, "value");
    RT_CHECK_DEVICE(deviceId);
    if (attr == 101) *value = 24;      /* AICORE_CORE_NUM */
    else if (attr == 201) *value = 48; /* VECTOR_CORE_NUM */
    else RT_FAIL(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "attribute %d is not supported by acl-sim (101 and 201 are)", attr);
    RT_LEAVE
}

/* ---------------------------------------------------------------- contexts */

ACLSIM_API aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId)
{
    RT_ENTER("aclrtCreateContext");
    RT_NOTNULL(context, "context");
    RT_CHECK_DEVICE(deviceId);
    sim_ctx *c = ctx_new(deviceId, false);
    if (c == NULL) RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    set_current(c);
    *context = c;
    RT_LEAVE
}

ACLSIM_API aclError aclrtDestroyContext(aclrtContext context)
{
    RT_ENTER("aclrtDestroyContext");
    RT_NOTNULL(context, "context");
    int k = aclsim_internal_reg_kind(context);
    if (k == SIM_K_CONTEXT_DEF)
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "context %p is a device's default context (use aclrtResetDevice)", context);
    if (k != SIM_K_CONTEXT)
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "context %p is not a live context (%s)", context, rt_kind_name(k));
    if (tl_ctx == context) set_current(NULL);
    aclsim_internal_reg_remove(context, SIM_K_CONTEXT);
    free(context);
    RT_LEAVE
}

ACLSIM_API aclError aclrtSetCurrentContext(aclrtContext context)
{
    RT_ENTER("aclrtSetCurrentContext");
    RT_NOTNULL(context, "context");
    if (!rt_is_ctx(context))
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "context %p is not a live context (%s)", context,
                rt_kind_name(aclsim_internal_reg_kind(context)));
    set_current((sim_ctx *)context);
    RT_LEAVE
}

ACLSIM_API aclError aclrtGetCurrentContext(aclrtContext *context)
{
    RT_ENTER("aclrtGetCurrentContext");
    RT_NOTNULL(context, "context");
    RT_NEED_CTX();
    *context = rt_current_ctx();
    RT_LEAVE
}
