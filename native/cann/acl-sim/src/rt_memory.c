/* libascendcl: device / pinned-host allocations, copies, memset, memory info. */
#include <stdlib.h>
#include <string.h>

#include "rt_state.h"

typedef struct span {
    uintptr_t base;
    size_t size; /* rounded size */
} span;

typedef struct spanset {
    span *v;
    size_t n, cap;
    uint64_t bytes;
} spanset;

static spanset g_dev, g_pinned;

static size_t span_upper(const spanset *s, uintptr_t p) /* first index whose base > p */
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].base <= p) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static bool span_insert(spanset *s, uintptr_t base, size_t size)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        span *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) return false;
        s->v = v;
        s->cap = cap;
    }
    size_t i = span_upper(s, base);
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
    s->v[i].base = base;
    s->v[i].size = size;
    s->n++;
    s->bytes += size;
    return true;
}

static bool span_remove(spanset *s, uintptr_t base) /* exact base only */
{
    size_t i = span_upper(s, base);
    if (i == 0 || s->v[i - 1].base != base) return false;
    i--;
    s->bytes -= s->v[i].size;
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
    s->n--;
    return true;
}

static bool span_contains(const spanset *s, uintptr_t p, uint64_t bytes)
{
    size_t i = span_upper(s, p);
    if (i == 0 || bytes == 0) return false;
    const span *sp = &s->v[i - 1];
    uintptr_t rel = p - sp->base;
    return rel < sp->size && bytes <= sp->size - rel;
}

static bool span_overlaps(const spanset *s, uintptr_t p, uint64_t bytes)
{
    if (bytes == 0) return false;
    uintptr_t last = (bytes - 1 > UINTPTR_MAX - p) ? UINTPTR_MAX : p + (uintptr_t)(bytes - 1);
    size_t i = span_upper(s, last);
    if (i == 0) return false;
    const span *sp = &s->v[i - 1];
    return sp->base + sp->size > p;
}

int64_t rt_mem_live_count(bool pinned) { return (int64_t)(pinned ? g_pinned.n : g_dev.n); }
uint64_t rt_mem_live_bytes(bool pinned) { return pinned ? g_pinned.bytes : g_dev.bytes; }

ACLSIM_API bool aclsim_internal_is_device_range(const void *p, uint64_t bytes)
{
    aclsim_internal_lock();
    bool r = p != NULL && span_contains(&g_dev, (uintptr_t)p, bytes);
    aclsim_internal_unlock();
    return r;
}

/* ---------------------------------------------------------------- allocation */

static int alloc_common(const char *fn_, spanset *set, void **out, size_t size, const char *what)
{
    int rc = ACL_SUCCESS;
    if (size == 0) RT_FAIL(ACL_ERROR_INVALID_PARAM, "size is 0");
    if (size > SIZE_MAX - 31) RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "size %zu is too large", size);
    size_t rounded = (size + 31) & ~(size_t)31;
    if (rounded > g_sim.budget || set->bytes > g_sim.budget - rounded)
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION,
                "%s budget exceeded: %zu bytes requested (%zu rounded), %llu of %llu bytes in use "
                "(ACLSIM_MEMORY_BYTES)",
                what, size, rounded, (unsigned long long)set->bytes, (unsigned long long)g_sim.budget);
    int32_t code;
    if (aclsim_internal_take_fault(SIM_FAULT_ALLOC, &code)) RT_FAIL(code, "injected allocation fault");
    void *p = NULL;
    if (posix_memalign(&p, 64, rounded) != 0 || p == NULL)
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "host allocation of %zu bytes failed", rounded);
    if (!span_insert(set, (uintptr_t)p, rounded)) {
        free(p);
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    }
    *out = p;
done:
    return rc;
}

ACLSIM_API aclError aclrtMalloc(void **devPtr, size_t size, int32_t policy)
{
    RT_ENTER("aclrtMalloc");
    RT_NOTNULL(devPtr, "devPtr");
    RT_NEED_CTX();
    if (policy < 0 || policy > 5) RT_FAIL(ACL_ERROR_INVALID_PARAM, "policy %d is not an aclrtMemMallocPolicy (0..5)", policy);
    rc = alloc_common(fn_, &g_dev, devPtr, size, "device memory");
    RT_LEAVE
}

ACLSIM_API aclError aclrtMallocHost(void **hostPtr, size_t size)
{
    RT_ENTER("aclrtMallocHost");
    RT_NOTNULL(hostPtr, "hostPtr");
    RT_NEED_CTX();
    rc = alloc_common(fn_, &g_pinned, hostPtr, size, "pinned host memory");
    RT_LEAVE
}

ACLSIM_API aclError aclrtFree(void *devPtr)
{
    RT_ENTER("aclrtFree");
    RT_NOTNULL(devPtr, "devPtr");
    if (!span_remove(&g_dev, (uintptr_t)devPtr)) {
        if (span_contains(&g_pinned, (uintptr_t)devPtr, 1))
            RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "%p is pinned host memory (use aclrtFreeHost)", devPtr);
        if (span_contains(&g_dev, (uintptr_t)devPtr, 1))
            RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "%p points inside a device allocation, not at its start", devPtr);
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "%p is not a live device allocation (double free?)", devPtr);
    }
    free(devPtr);
    RT_LEAVE
}

ACLSIM_API aclError aclrtFreeHost(void *hostPtr)
{
    RT_ENTER("aclrtFreeHost");
    RT_NOTNULL(hostPtr, "hostPtr");
    if (!span_remove(&g_pinned, (uintptr_t)hostPtr)) {
        if (span_contains(&g_dev, (uintptr_t)hostPtr, 1))
            RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "%p is device memory (use aclrtFree)", hostPtr);
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "%p is not a live pinned host allocation (double free?)", hostPtr);
    }
    free(hostPtr);
    RT_LEAVE
}

/* ---------------------------------------------------------------- copies */

static const char *kind_name(int32_t kind)
{
    static const char *const n[] = {"ACL_MEMCPY_HOST_TO_HOST", "ACL_MEMCPY_HOST_TO_DEVICE", "ACL_MEMCPY_DEVICE_TO_HOST",
                                    "ACL_MEMCPY_DEVICE_TO_DEVICE", "ACL_MEMCPY_DEFAULT"};
    return (kind >= 0 && kind <= 4) ? n[kind] : "?";
}

/* checks that [p, p+count) is device memory (dev) or lies outside every device allocation (!dev) */
static int check_side(const char *fn_, const char *name, const void *p, size_t count, bool dev, int32_t kind)
{
    int rc = ACL_SUCCESS;
    if (dev && !span_contains(&g_dev, (uintptr_t)p, count))
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID,
                "%s range [%p, +%zu) is not inside one live device allocation, but the copy kind %s says device memory",
                name, p, count, kind_name(kind));
    if (!dev && span_overlaps(&g_dev, (uintptr_t)p, count))
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID,
                "%s range [%p, +%zu) is device memory, but the copy kind %s says host memory (wrong copy kind)", name, p,
                count, kind_name(kind));
done:
    return rc;
}

static int memcpy_common(const char *fn_, void *dst, size_t destMax, const void *src, size_t count, int32_t kind,
                         bool async, aclrtStream stream)
{
    int rc = ACL_SUCCESS;
    RT_NOTNULL(dst, "dst");
    RT_NOTNULL(src, "src");
    if (count > destMax) RT_FAIL(ACL_ERROR_INVALID_PARAM, "count %zu exceeds destMax %zu", count, destMax);
    if (kind < 0 || kind > 4) RT_FAIL(ACL_ERROR_INVALID_PARAM, "kind %d is not an aclrtMemcpyKind (0..4)", kind);
    if (async && !aclsim_internal_stream_ok(stream))
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "stream %p is not a live stream", stream);
    if (count == 0) goto done;
    bool dst_dev, src_dev;
    if (kind == ACL_MEMCPY_DEFAULT) {
        dst_dev = span_contains(&g_dev, (uintptr_t)dst, 1);
        src_dev = span_contains(&g_dev, (uintptr_t)src, 1);
    } else {
        dst_dev = kind == ACL_MEMCPY_HOST_TO_DEVICE || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
        src_dev = kind == ACL_MEMCPY_DEVICE_TO_HOST || kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
    }
    rc = check_side(fn_, "dst", dst, count, dst_dev, kind);
    if (rc == ACL_SUCCESS) rc = check_side(fn_, "src", src, count, src_dev, kind);
    if (rc != ACL_SUCCESS) goto done;
    int32_t code;
    if (aclsim_internal_take_fault(SIM_FAULT_COPY, &code)) RT_FAIL(code, "injected copy fault");
    memmove(dst, src, count);
done:
    return rc;
}

ACLSIM_API aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, int32_t kind)
{
    RT_ENTER("aclrtMemcpy");
    rc = memcpy_common(fn_, dst, destMax, src, count, kind, false, NULL);
    RT_LEAVE
}

ACLSIM_API aclError aclrtMemcpyAsync(void *dst, size_t destMax, const void *src, size_t count, int32_t kind,
                                     aclrtStream stream)
{
    RT_ENTER("aclrtMemcpyAsync");
    rc = memcpy_common(fn_, dst, destMax, src, count, kind, true, stream);
    RT_LEAVE
}

static int memset_common(const char *fn_, void *devPtr, size_t maxCount, int32_t value, size_t count, bool async,
                         aclrtStream stream)
{
    int rc = ACL_SUCCESS;
    RT_NOTNULL(devPtr, "devPtr");
    if (count > maxCount) RT_FAIL(ACL_ERROR_INVALID_PARAM, "count %zu exceeds maxCount %zu", count, maxCount);
    if (async && !aclsim_internal_stream_ok(stream))
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "stream %p is not a live stream", stream);
    if (count == 0) goto done;
    if (!span_contains(&g_dev, (uintptr_t)devPtr, count))
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "range [%p, +%zu) is not inside one live device allocation", devPtr,
                count);
    int32_t code;
    if (aclsim_internal_take_fault(SIM_FAULT_COPY, &code)) RT_FAIL(code, "injected copy fault");
    memset(devPtr, value & 0xff, count);
done:
    return rc;
}

ACLSIM_API aclError aclrtMemset(void *devPtr, size_t maxCount, int32_t value, size_t count)
{
    RT_ENTER("aclrtMemset");
    rc = memset_common(fn_, devPtr, maxCount, value, count, false, NULL);
    RT_LEAVE
}

ACLSIM_API aclError aclrtMemsetAsync(void *devPtr, size_t maxCount, int32_t value, size_t count, aclrtStream stream)
{
    RT_ENTER("aclrtMemsetAsync");
    rc = memset_common(fn_, devPtr, maxCount, value, count, true, stream);
    RT_LEAVE
}

ACLSIM_API aclError aclrtGetMemInfo(int32_t attr, size_t *free, size_t *total)
{
    RT_ENTER("aclrtGetMemInfo");
    RT_NOTNULL(free, "free");
    RT_NOTNULL(total, "total");
    RT_NEED_CTX();
    if (attr < 0 || attr > 5) RT_FAIL(ACL_ERROR_INVALID_PARAM, "attr %d is not an aclrtMemAttr (0..5)", attr);
    *total = (size_t)g_sim.budget;
    *free = (size_t)(g_sim.budget > g_dev.bytes ? g_sim.budget - g_dev.bytes : 0);
    RT_LEAVE
}
