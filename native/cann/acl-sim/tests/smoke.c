/* acl-sim smoke test: links the libraries directly and exercises the runtime, nnopbase and every operator. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aclsim.h"

static int g_failures, g_checks;

#define CHECK(cond)                                                                                 \
    do {                                                                                            \
        g_checks++;                                                                                 \
        if (!(cond)) {                                                                              \
            g_failures++;                                                                           \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, __LINE__, #cond,         \
                    aclGetRecentErrMsg());                                                          \
        }                                                                                           \
    } while (0)
#define CHECK_EQ(expr, want)                                                                        \
    do {                                                                                            \
        long long got_ = (long long)(expr), want_ = (long long)(want);                              \
        g_checks++;                                                                                 \
        if (got_ != want_) {                                                                        \
            g_failures++;                                                                           \
            fprintf(stderr, "FAIL %s:%d: %s = %lld, want %lld (last error: %s)\n", __FILE__, __LINE__, \
                    #expr, got_, want_, aclGetRecentErrMsg());                                      \
        }                                                                                           \
    } while (0)
#define CHECK_NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

/* ---------------------------------------------------------------- helpers */

static void *dalloc(size_t bytes)
{
    void *p = NULL;
    CHECK_EQ(aclrtMalloc(&p, bytes, 0), 0);
    return p;
}

static void *upload(const void *host, size_t bytes)
{
    void *p = dalloc(bytes);
    CHECK_EQ(aclrtMemcpy(p, bytes, host, bytes, ACL_MEMCPY_HOST_TO_DEVICE), 0);
    return p;
}

static void download(void *host, const void *dev, size_t bytes)
{
    CHECK_EQ(aclrtMemcpy(host, bytes, dev, bytes, ACL_MEMCPY_DEVICE_TO_HOST), 0);
}

static aclTensor *tensor(const int64_t *dims, uint64_t n, int32_t dt, void *data)
{
    aclTensor *t = aclCreateTensor(dims, n, dt, NULL, 0, ACL_FORMAT_ND, dims, n, data);
    CHECK(t != NULL);
    return t;
}

/* runs phase 2 with a freshly allocated workspace of the requested size */
typedef aclnnStatus (*phase2_fn)(void *, uint64_t, aclOpExecutor *, aclrtStream);
static aclnnStatus run2(phase2_fn f, uint64_t ws, aclOpExecutor *ex)
{
    void *w = ws ? dalloc(ws) : NULL;
    aclnnStatus rc = f(w, ws, ex, NULL);
    if (w) aclrtFree(w);
    return rc;
}

/* ---------------------------------------------------------------- runtime */

static void test_init_finalize(void)
{
    int64_t i0 = aclsimCounter(0), f0 = aclsimCounter(1);
    CHECK_EQ(aclFinalize(), ACL_ERROR_REPEAT_FINALIZE);
    CHECK(strstr(aclGetRecentErrMsg(), "aclFinalize") != NULL);
    void *p = NULL;
    CHECK_EQ(aclrtMalloc(&p, 64, 0), ACL_ERROR_UNINITIALIZE);
    CHECK_EQ(aclInit(NULL), 0);
    CHECK_EQ(aclInit(NULL), ACL_ERROR_REPEAT_INITIALIZE);
    CHECK_EQ(aclrtMalloc(&p, 64, 0), ACL_ERROR_RT_CONTEXT_NULL);
    CHECK_EQ(aclFinalize(), 0);
    CHECK_EQ(aclInit(NULL), 0); /* re-init after finalize */
    CHECK_EQ(aclsimCounter(0), i0 + 2);
    CHECK_EQ(aclsimCounter(1), f0 + 1);
    CHECK(strstr(aclsimIdentify(), "acl-sim") != NULL);
    CHECK(strstr(aclrtGetSocName(), "AclSim") != NULL);
    int32_t a, b, c;
    CHECK_EQ(aclrtGetVersion(&a, &b, &c), 0);
    CHECK(a == 1 && b == 17 && c == 0);
}

static void *thread_ctx(void *arg)
{
    (void)arg;
    int32_t dev = -1;
    CHECK_EQ(aclrtGetDevice(&dev), ACL_ERROR_RT_CONTEXT_NULL); /* current context is per thread */
    CHECK_EQ(aclrtSetDevice(0), 0);
    CHECK_EQ(aclrtGetDevice(&dev), 0);
    CHECK_EQ(dev, 0);
    return NULL;
}

static void test_devices_contexts(void)
{
    uint32_t n = 0;
    CHECK_EQ(aclrtGetDeviceCount(&n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(aclrtSetDevice(1), ACL_ERROR_RT_INVALID_DEVICEID);
    CHECK_EQ(aclrtSetDevice(0), 0);
    int32_t dev = -1;
    CHECK_EQ(aclrtGetDevice(&dev), 0);
    CHECK_EQ(dev, 0);
    int64_t v = 0;
    CHECK_EQ(aclrtGetDeviceInfo(0, 101, &v), 0);
    CHECK_EQ(v, 24);
    CHECK_EQ(aclrtGetDeviceInfo(0, 201, &v), 0);
    CHECK_EQ(v, 48);
    CHECK_EQ(aclrtGetDeviceInfo(0, 7, &v), ACL_ERROR_RT_FEATURE_NOT_SUPPORT);
    aclrtContext def = NULL, ctx = NULL, cur = NULL;
    CHECK_EQ(aclrtGetCurrentContext(&def), 0);
    CHECK_EQ(aclrtCreateContext(&ctx, 0), 0);
    CHECK_EQ(aclsimLiveCount(6), 1);
    CHECK_EQ(aclrtGetCurrentContext(&cur), 0);
    CHECK(cur == ctx);
    CHECK_EQ(aclrtDestroyContext(ctx), 0);
    CHECK_EQ(aclrtDestroyContext(ctx), ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclrtGetCurrentContext(&cur), ACL_ERROR_RT_CONTEXT_NULL);
    CHECK_EQ(aclrtSetCurrentContext(ctx), ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclrtSetCurrentContext(def), 0);
    CHECK_EQ(aclsimLiveCount(6), 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_ctx, NULL);
    pthread_join(th, NULL);
    CHECK_EQ(aclrtSynchronizeDevice(), 0);
}

static void test_memory(void)
{
    int64_t live0 = aclsimLiveCount(0);
    void *p = NULL, *q = NULL, *h = NULL;
    CHECK_EQ(aclrtMalloc(NULL, 64, 0), ACL_ERROR_INVALID_PARAM);
    CHECK_EQ(aclrtMalloc(&p, 0, 0), ACL_ERROR_INVALID_PARAM);
    CHECK_EQ(aclrtMalloc(&p, 64, 6), ACL_ERROR_INVALID_PARAM);
    CHECK_EQ(aclrtMalloc(&p, 100, 0), 0);
    CHECK(((uintptr_t)p & 63) == 0);
    CHECK_EQ(aclsimLiveCount(0), live0 + 1);
    CHECK_EQ(aclsimLiveCount(8) >= 128, 1); /* 100 rounded up to 128 */
    CHECK_EQ(aclrtMalloc(&q, (size_t)1 << 60, 0), ACL_ERROR_RT_MEMORY_ALLOCATION);
    size_t fr = 0, tot = 0;
    CHECK_EQ(aclrtGetMemInfo(1, &fr, &tot), 0);
    CHECK(tot == (size_t)16 << 30 && fr <= tot - 128);
    CHECK_EQ(aclrtMallocHost(&h, 256), 0);
    CHECK_EQ(aclsimLiveCount(1), 1);

    /* copy kinds */
    char host[128], back[128];
    for (int i = 0; i < 128; i++) host[i] = (char)i;
    CHECK_EQ(aclrtMemcpy(p, 128, host, 128, ACL_MEMCPY_HOST_TO_DEVICE), 0);
    CHECK_EQ(aclrtMemcpy(back, 128, p, 128, ACL_MEMCPY_HOST_TO_DEVICE), ACL_ERROR_RT_PARAM_INVALID); /* wrong kind */
    CHECK(strstr(aclGetRecentErrMsg(), "aclrtMemcpy") != NULL);
    CHECK_EQ(aclrtMemcpy(back, 128, p, 128, ACL_MEMCPY_HOST_TO_HOST), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(aclrtMemcpy(back, 128, p, 129, ACL_MEMCPY_DEVICE_TO_HOST), ACL_ERROR_INVALID_PARAM); /* > destMax */
    CHECK_EQ(aclrtMemcpy(back, 256, p, 129, ACL_MEMCPY_DEVICE_TO_HOST), ACL_ERROR_RT_PARAM_INVALID); /* past end */
    CHECK_EQ(aclrtMemcpy(back, 128, p, 128, 5), ACL_ERROR_INVALID_PARAM);
    CHECK_EQ(aclrtMemcpy(back, 128, p, 0, ACL_MEMCPY_HOST_TO_HOST), 0); /* count 0: nothing */
    CHECK_EQ(aclrtMemcpy(back, 128, p, 128, ACL_MEMCPY_DEVICE_TO_HOST), 0);
    CHECK(memcmp(host, back, 128) == 0);
    CHECK_EQ(aclrtMemcpy((char *)p + 64, 64, p, 64, ACL_MEMCPY_DEVICE_TO_DEVICE), 0);
    CHECK_EQ(aclrtMemcpy(h, 128, p, 128, ACL_MEMCPY_DEFAULT), 0);
    CHECK(((char *)h)[70] == 6);
    CHECK_EQ(aclrtMemcpyAsync(back, 128, h, 128, ACL_MEMCPY_HOST_TO_HOST, NULL), 0);
    CHECK_EQ(aclrtMemcpyAsync(back, 128, h, 128, ACL_MEMCPY_HOST_TO_HOST, (aclrtStream)back),
             ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclrtMemset(p, 128, 0x11, 128), 0);
    CHECK_EQ(aclrtMemset(back, 128, 0, 128), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(aclrtMemset(p, 64, 0, 128), ACL_ERROR_INVALID_PARAM);

    /* free / double free */
    CHECK_EQ(aclrtFree(NULL), ACL_ERROR_INVALID_PARAM);
    CHECK_EQ(aclrtFree(h), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(aclrtFree(p), 0);
    CHECK_EQ(aclrtFree(p), ACL_ERROR_RT_PARAM_INVALID);
    CHECK(strstr(aclGetRecentErrMsg(), "double free") != NULL);
    CHECK_EQ(aclrtFreeHost(h), 0);
    CHECK_EQ(aclrtFreeHost(h), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(aclsimLiveCount(0), live0);
    CHECK_EQ(aclsimLiveCount(1), 0);
}

static void test_streams_events(void)
{
    aclrtStream s = NULL;
    aclrtEvent a = NULL, b = NULL;
    CHECK_EQ(aclrtCreateStream(&s), 0);
    CHECK_EQ(aclsimLiveCount(4), 1);
    CHECK_EQ(aclrtCreateEvent(&a), 0);
    CHECK_EQ(aclrtCreateEventWithFlag(&b, 0x9), 0);
    aclrtEvent bad = NULL;
    CHECK_EQ(aclrtCreateEventWithFlag(&bad, 0x2), ACL_ERROR_INVALID_PARAM);
    int32_t st = -1;
    CHECK_EQ(aclrtQueryEventStatus(a, &st), 0);
    CHECK_EQ(st, 0);
    float ms = -1;
    CHECK_EQ(aclrtEventElapsedTime(&ms, a, b), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(aclrtRecordEvent(a, s), 0);
    CHECK_EQ(aclrtRecordEvent(b, NULL), 0);
    CHECK_EQ(aclrtQueryEventStatus(a, &st), 0);
    CHECK_EQ(st, 1);
    CHECK_EQ(aclrtEventElapsedTime(&ms, a, b), 0);
    CHECK(ms >= 0.0f);
    CHECK_EQ(aclrtStreamWaitEvent(s, a), 0);
    CHECK_EQ(aclrtSynchronizeEvent(b), 0);
    CHECK_EQ(aclrtSynchronizeStream(s), 0);
    CHECK_EQ(aclrtSynchronizeStream(NULL), 0);
    CHECK_EQ(aclmdlRICaptureBegin(s, 0), ACL_ERROR_RT_FEATURE_NOT_SUPPORT);
    CHECK_EQ(aclrtDestroyEvent(a), 0);
    CHECK_EQ(aclrtDestroyEvent(a), ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclrtDestroyEvent(b), 0);
    CHECK_EQ(aclrtDestroyStream(s), 0);
    CHECK_EQ(aclrtDestroyStream(s), ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclrtSynchronizeStream(s), ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclsimLiveCount(4), 0);
    CHECK_EQ(aclsimLiveCount(5), 0);
}

static void test_kernels(void)
{
    aclrtBinHandle bin = NULL;
    aclrtFuncHandle add = NULL, scale = NULL, none = NULL;
    CHECK_EQ(aclrtBinaryLoadFromFile("/nonexistent/libnothing.so", NULL, &bin), ACL_ERROR_RT_PARAM_INVALID);
    CHECK_EQ(aclrtBinaryLoadFromFile(ACLSIM_KERNELS_PATH, NULL, &bin), 0);
    CHECK_EQ(aclsimLiveCount(7), 1);
    CHECK_EQ(aclrtBinaryGetFunction(bin, "aclsim_add_f32", &add), 0);
    CHECK_EQ(aclrtBinaryGetFunction(bin, "aclsim_scale_f32", &scale), 0);
    CHECK_EQ(aclrtBinaryGetFunction(bin, "no_such_kernel", &none), ACL_ERROR_RT_PARAM_INVALID);
    enum { N = 1000 };
    float x[N], y[N], z[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)i;
        y[i] = 0.5f * (float)i;
    }
    void *dx = upload(x, sizeof x), *dy = upload(y, sizeof y), *dz = dalloc(sizeof z);
    uint64_t args[4] = {(uint64_t)(uintptr_t)dx, (uint64_t)(uintptr_t)dy, (uint64_t)(uintptr_t)dz, N};
    int64_t k0 = aclsimCounter(3);
    CHECK_EQ(aclrtLaunchKernel(add, 0, args, sizeof args, NULL), ACL_ERROR_INVALID_PARAM);
    CHECK_EQ(aclrtLaunchKernel(add, 7, args, sizeof args, NULL), 0);
    download(z, dz, sizeof z);
    int ok = 1;
    for (int i = 0; i < N; i++) ok &= z[i] == 1.5f * (float)i;
    CHECK(ok);
    uint64_t sargs[3] = {(uint64_t)(uintptr_t)dz, N, 0};
    float s = 2.0f;
    memcpy(&sargs[2], &s, 4);
    CHECK_EQ(aclrtLaunchKernel(scale, 3, sargs, sizeof sargs, NULL), 0);
    download(z, dz, sizeof z);
    CHECK(z[999] == 3.0f * 999.0f);
    CHECK_EQ(aclsimCounter(3), k0 + 2);
    CHECK_EQ(aclrtBinaryUnLoad(bin), 0);
    CHECK_EQ(aclrtLaunchKernel(add, 1, args, sizeof args, NULL), ACL_ERROR_RT_INVALID_HANDLE);
    CHECK_EQ(aclsimLiveCount(7), 0);
    aclrtFree(dx);
    aclrtFree(dy);
    aclrtFree(dz);
}

/* ---------------------------------------------------------------- nnopbase */

static void test_nnopbase(void)
{
    int64_t live = aclsimLiveCount(2);
    int64_t dims[2] = {2, 3}, neg[1] = {-1};
    CHECK(aclCreateTensor(neg, 1, ACL_FLOAT, NULL, 0, ACL_FORMAT_ND, neg, 1, NULL) == NULL);
    CHECK(aclCreateTensor(dims, 9, ACL_FLOAT, NULL, 0, ACL_FORMAT_ND, dims, 2, NULL) == NULL);
    CHECK(aclCreateTensor(dims, 2, 99, NULL, 0, ACL_FORMAT_ND, dims, 2, NULL) == NULL);
    CHECK(strstr(aclGetRecentErrMsg(), "aclCreateTensor") != NULL);
    aclTensor *t = tensor(dims, 2, ACL_FLOAT, NULL);
    CHECK_EQ(aclDestroyTensor(t), 0);
    CHECK_EQ(aclDestroyTensor(t), ACLNN_ERR_PARAM_INVALID);
    CHECK_EQ(aclDestroyTensor(NULL), ACLNN_ERR_PARAM_NULLPTR);
    float one = 1.0f;
    aclScalar *s = aclCreateScalar(&one, ACL_FLOAT);
    CHECK(s != NULL);
    CHECK_EQ(aclDestroyScalar(s), 0);
    CHECK_EQ(aclDestroyScalar(s), ACLNN_ERR_PARAM_INVALID);
    aclIntArray *ia = aclCreateIntArray(dims, 2);
    CHECK(ia != NULL);
    CHECK_EQ(aclDestroyIntArray(ia), 0);
    aclTensor *a = tensor(dims, 2, ACL_FLOAT, NULL), *b = tensor(dims, 2, ACL_FLOAT16, NULL);
    const aclTensor *arr[2] = {a, b};
    aclTensorList *l = aclCreateTensorList(arr, 2);
    CHECK(l != NULL);
    CHECK_EQ(aclsimLiveCount(2), live + 3);
    CHECK_EQ(aclDestroyTensor(a), ACLNN_ERR_PARAM_INVALID); /* owned by the list */
    CHECK_EQ(aclDestroyTensorList(l), 0);                   /* destroys a and b too */
    CHECK_EQ(aclDestroyTensorList(l), ACLNN_ERR_PARAM_INVALID);
    CHECK_EQ(aclsimLiveCount(2), live);
    CHECK_EQ(aclDestroyAclOpExecutor(NULL), ACLNN_ERR_PARAM_NULLPTR);
}

/* ---------------------------------------------------------------- operators */

static uint16_t f2h(float f) /* reference f32 -> f16 (RNE) via a slow exact method */
{
    if (isnan(f)) return 0x7e00;
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    double a = fabs((double)f);
    if (a >= 65520.0) return sign | 0x7c00;
    if (a < 0x1p-14) {
        double m = nearbyint(a / 0x1p-24); /* default rounding mode: nearest even */
        return sign | (uint16_t)m;
    }
    int e;
    double fr = frexp(a, &e); /* a = fr * 2^e, fr in [0.5,1) */
    double m = nearbyint(fr * 2048.0); /* 11 significant bits */
    if (m == 2048.0) {
        m = 1024.0;
        e++;
    }
    if (e - 1 + 15 >= 31) return sign | 0x7c00;
    return sign | (uint16_t)(((e - 1 + 15) << 10) | ((int)m - 1024));
}

static void test_matmul(void)
{
    /* self [2,3] as a transposed strided view of a [3,2] buffer; mat2 [3,2] */
    float at[6] = {1, 4, 2, 5, 3, 6}; /* self = [[1,2,3],[4,5,6]] stored column-major */
    float bm[6] = {7, 8, 9, 10, 11, 12};
    void *da = upload(at, sizeof at), *db = upload(bm, sizeof bm), *dc = dalloc(4 * sizeof(float));
    int64_t sd[2] = {2, 3}, sst[2] = {1, 2}, bd[2] = {3, 2}, cd[2] = {2, 2};
    aclTensor *A = aclCreateTensor(sd, 2, ACL_FLOAT, sst, 0, ACL_FORMAT_ND, bd, 2, da);
    aclTensor *B = tensor(bd, 2, ACL_FLOAT, db), *C = tensor(cd, 2, ACL_FLOAT, dc);
    uint64_t ws = 0;
    aclOpExecutor *ex = NULL;
    CHECK_EQ(aclnnMatmulGetWorkspaceSize(A, B, C, 0, &ws, &ex), 0);
    CHECK(ws > 0);
    CHECK_EQ(aclsimLiveCount(3), 1);
    aclDestroyTensor(A); /* descriptors were deep-copied */
    aclDestroyTensor(B);
    aclDestroyTensor(C);
    int64_t l0 = aclsimCounter(2);
    void *w = dalloc(ws);
    CHECK_EQ(aclnnMatmul(NULL, ws, ex, NULL), ACLNN_ERR_PARAM_INVALID); /* workspace required */
    CHECK_EQ(aclnnMatmul(w, ws - 1, ex, NULL), ACLNN_ERR_PARAM_INVALID);
    CHECK_EQ(aclnnSoftmax(w, ws, ex, NULL), ACLNN_ERR_PARAM_INVALID); /* built by another operator */
    CHECK_EQ(aclnnMatmul(w, ws, ex, NULL), 0);
    CHECK_EQ(aclnnMatmul(w, ws, ex, NULL), ACLNN_ERR_PARAM_INVALID); /* executor used twice */
    CHECK(strstr(aclGetRecentErrMsg(), "used twice") != NULL);
    CHECK_EQ(aclnnMatmul(w, ws, NULL, NULL), ACLNN_ERR_PARAM_NULLPTR);
    CHECK_EQ(aclsimCounter(2), l0 + 1);
    CHECK_EQ(aclsimLiveCount(3), 0);
    float c[4];
    download(c, dc, sizeof c);
    CHECK(c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154);
    CHECK_EQ(aclrtFree(w), 0);

    /* K = 0: out = 0 */
    {
        int64_t a0[2] = {2, 0}, b0[2] = {0, 2};
        aclTensor *A0 = tensor(a0, 2, ACL_FLOAT, NULL), *B0 = tensor(b0, 2, ACL_FLOAT, NULL);
        C = tensor(cd, 2, ACL_FLOAT, dc);
        CHECK_EQ(aclnnMatmulGetWorkspaceSize(A0, B0, C, 0, &ws, &ex), 0);
        CHECK_EQ(run2(aclnnMatmul, ws, ex), 0);
        download(c, dc, sizeof c);
        CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 0);
        aclDestroyTensor(A0);
        aclDestroyTensor(B0);
        aclDestroyTensor(C);
    }

    /* shape errors and non-device memory */
    A = tensor(sd, 2, ACL_FLOAT, da);
    B = tensor(sd, 2, ACL_FLOAT, db);
    C = tensor(cd, 2, ACL_FLOAT, dc);
    CHECK_EQ(aclnnMatmulGetWorkspaceSize(A, B, C, 0, &ws, &ex), ACLNN_ERR_PARAM_INVALID);
    CHECK_EQ(aclnnMatmulGetWorkspaceSize(A, NULL, C, 0, &ws, &ex), ACLNN_ERR_PARAM_NULLPTR);
    float hostbuf[6];
    aclTensor *H = tensor(bd, 2, ACL_FLOAT, hostbuf);
    CHECK_EQ(aclnnMatmulGetWorkspaceSize(A, H, C, 0, &ws, &ex), ACLNN_ERR_PARAM_INVALID);
    CHECK(strstr(aclGetRecentErrMsg(), "not device memory") != NULL);
    aclDestroyTensor(A);
    aclDestroyTensor(B);
    aclDestroyTensor(C);
    aclDestroyTensor(H);

    /* F16 batch matmul with a broadcast batch (stride 0) */
    uint16_t ah[2 * 2], bh[2 * 2];
    float av[4] = {1.5f, -2.0f, 0.25f, 3.0f}, bv[4] = {2.0f, 1.0f, -1.0f, 0.5f};
    for (int i = 0; i < 4; i++) {
        ah[i] = f2h(av[i]);
        bh[i] = f2h(bv[i]);
    }
    void *dah = upload(ah, sizeof ah), *dbh = upload(bh, sizeof bh), *dch = dalloc(3 * 4 * 2);
    int64_t d3[3] = {3, 2, 2}, st0[3] = {0, 2, 1};
    aclTensor *A3 = aclCreateTensor(d3, 3, ACL_FLOAT16, st0, 0, ACL_FORMAT_ND, d3, 3, dah);
    aclTensor *B3 = aclCreateTensor(d3, 3, ACL_FLOAT16, st0, 0, ACL_FORMAT_ND, d3, 3, dbh);
    aclTensor *C3 = tensor(d3, 3, ACL_FLOAT16, dch);
    CHECK_EQ(aclnnBatchMatMulGetWorkspaceSize(A3, B3, C3, 1, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnBatchMatMul, ws, ex), 0);
    uint16_t ch[12];
    download(ch, dch, sizeof ch);
    float ref[4] = {1.5f * 2 + -2.0f * -1, 1.5f * 1 + -2.0f * 0.5f, 0.25f * 2 + 3.0f * -1, 0.25f * 1 + 3.0f * 0.5f};
    int ok = 1;
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 4; i++) ok &= ch[b * 4 + i] == f2h(ref[i]);
    CHECK(ok);
    aclDestroyTensor(A3);
    aclDestroyTensor(B3);
    aclDestroyTensor(C3);
    aclrtFree(da);
    aclrtFree(db);
    aclrtFree(dc);
    aclrtFree(dah);
    aclrtFree(dbh);
    aclrtFree(dch);
}

static void test_grouped_matmul(void)
{
    enum { R = 5, K = 2, N = 3, E = 3 };
    float x[R * K], w[E * K * N], o[R * N];
    for (int i = 0; i < R * K; i++) x[i] = (float)(i + 1);
    for (int i = 0; i < E * K * N; i++) w[i] = (float)((i % 5) - 2);
    for (int i = 0; i < R * N; i++) o[i] = -999.0f;
    int64_t gl[E] = {1, 1, 3}; /* counts: rows 0 | 1 | 2..4 */
    void *dx = upload(x, sizeof x), *dw = upload(w, sizeof w), *dg = upload(gl, sizeof gl), *dout = upload(o, sizeof o);
    int64_t xd[2] = {R, K}, wd[3] = {E, K, N}, gd[1] = {E}, od[2] = {R, N};
    for (int pass = 0; pass < 3; pass++) {
        aclTensor *X = tensor(xd, 2, ACL_FLOAT, dx), *W = tensor(wd, 3, ACL_FLOAT, dw), *O = tensor(od, 2, ACL_FLOAT, dout);
        aclTensor *G = tensor(gd, 1, ACL_INT64, dg);
        aclTensorList *xl = aclCreateTensorList((const aclTensor *const *)&X, 1);
        aclTensorList *wl = aclCreateTensorList((const aclTensor *const *)&W, 1);
        aclTensorList *ol = aclCreateTensorList((const aclTensor *const *)&O, 1);
        uint64_t ws = 0;
        aclOpExecutor *ex = NULL;
        int64_t glt = pass == 0 ? 1 : 0;
        if (pass == 1) { /* cumsum form, last boundary 4: row 4 stays untouched */
            int64_t cs[E] = {1, 2, 4};
            CHECK_EQ(aclrtMemcpy(dg, sizeof cs, cs, sizeof cs, ACL_MEMCPY_HOST_TO_DEVICE), 0);
            CHECK_EQ(aclrtMemcpy(dout, sizeof o, o, sizeof o, ACL_MEMCPY_HOST_TO_DEVICE), 0);
        }
        if (pass == 2) { /* decreasing boundaries fail in phase 2 before writing */
            int64_t bad[E] = {2, 1, 5};
            CHECK_EQ(aclrtMemcpy(dg, sizeof bad, bad, sizeof bad, ACL_MEMCPY_HOST_TO_DEVICE), 0);
        }
        CHECK_EQ(aclnnGroupedMatmulV4GetWorkspaceSize(xl, wl, NULL, NULL, NULL, NULL, NULL, NULL, G, NULL, NULL, NULL,
                                                      3, 0, glt, 0, ol, NULL, NULL, &ws, &ex),
                 0);
        CHECK(ws > 0);
        CHECK_EQ(run2(aclnnGroupedMatmulV4, ws, ex), pass == 2 ? ACLNN_ERR_PARAM_INVALID : 0);
        float got[R * N];
        download(got, dout, sizeof got);
        int rows = pass == 0 ? 5 : 4, grp[R] = {0, 1, 2, 2, 2}, ok = 1;
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++) {
                float ref = 0.0f;
                for (int k = 0; k < K; k++) ref += x[r * K + k] * w[grp[r] * K * N + k * N + n];
                ok &= got[r * N + n] == (r < rows ? ref : -999.0f);
            }
        CHECK(ok);
        /* unsupported options */
        if (pass == 0) {
            CHECK_EQ(aclnnGroupedMatmulV4GetWorkspaceSize(xl, wl, xl, NULL, NULL, NULL, NULL, NULL, G, NULL, NULL,
                                                          NULL, 3, 0, glt, 0, ol, NULL, NULL, &ws, &ex),
                     ACLNN_ERR_PARAM_INVALID);
            CHECK(strstr(aclGetRecentErrMsg(), "not supported by acl-sim") != NULL);
        }
        CHECK_EQ(aclDestroyTensorList(xl), 0);
        CHECK_EQ(aclDestroyTensorList(wl), 0);
        CHECK_EQ(aclDestroyTensorList(ol), 0);
        CHECK_EQ(aclDestroyTensor(G), 0);
    }
    aclrtFree(dx);
    aclrtFree(dw);
    aclrtFree(dg);
    aclrtFree(dout);
}

/* one-tensor-in, one-tensor-out helper for the simple float ops */
static void test_elementwise(void)
{
    enum { N = 8 };
    float x[N] = {-3, -1, -0.5f, 0, 0.5f, 1, 2, 4}, y[N];
    int64_t d1[1] = {N}, d2[2] = {2, 4}, dh[2] = {2, 2};
    void *dx = upload(x, sizeof x), *dy = dalloc(sizeof y);
    uint64_t ws;
    aclOpExecutor *ex;
    aclTensor *X = tensor(d1, 1, ACL_FLOAT, dx), *Y = tensor(d1, 1, ACL_FLOAT, dy);

    CHECK_EQ(aclnnSiluGetWorkspaceSize(X, Y, &ws, &ex), 0);
    CHECK_EQ(ws, 0);
    CHECK_EQ(run2(aclnnSilu, ws, ex), 0);
    download(y, dy, sizeof y);
    int ok = 1;
    for (int i = 0; i < N; i++) ok &= fabsf(y[i] - x[i] / (1.0f + expf(-x[i]))) < 1e-6f;
    CHECK(ok);

    /* softmax over the last dim of [2,4] */
    aclTensor *X2 = tensor(d2, 2, ACL_FLOAT, dx), *Y2 = tensor(d2, 2, ACL_FLOAT, dy);
    CHECK_EQ(aclnnSoftmaxGetWorkspaceSize(X2, -1, Y2, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnSoftmax, ws, ex), 0);
    download(y, dy, sizeof y);
    CHECK_NEAR(y[0] + y[1] + y[2] + y[3], 1.0, 1e-6);
    CHECK_NEAR(y[7], expf(4) / (expf(0.5f) + expf(1) + expf(2) + expf(4)), 1e-6);
    CHECK_EQ(aclnnSoftmaxGetWorkspaceSize(X2, 2, Y2, &ws, &ex), ACLNN_ERR_PARAM_INVALID);
    {
        float sx[8] = {1, NAN, 2, 3, 1, INFINITY, 2, 3}, sy[8];
        void *dsx = upload(sx, sizeof sx);
        aclTensor *SX = tensor(d2, 2, ACL_FLOAT, dsx);
        CHECK_EQ(aclnnSoftmaxGetWorkspaceSize(SX, 1, Y2, &ws, &ex), 0);
        CHECK_EQ(run2(aclnnSoftmax, ws, ex), 0);
        download(sy, dy, sizeof sy);
        int allnan = 1;
        for (int i = 0; i < 8; i++) allnan &= isnan(sy[i]);
        CHECK(allnan);
        aclDestroyTensor(SX);
        aclrtFree(dsx);
    }

    /* swiglu along dim 1: [2,4] -> [2,2] */
    aclTensor *Yh = tensor(dh, 2, ACL_FLOAT, dy);
    CHECK_EQ(aclnnSwiGluGetWorkspaceSize(X2, -1, Yh, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnSwiGlu, ws, ex), 0);
    download(y, dy, 4 * sizeof(float));
    CHECK_NEAR(y[0], (-3.0f / (1 + expf(3.0f))) * -0.5f, 1e-6);
    CHECK_NEAR(y[3], (1.0f / (1 + expf(-1.0f))) * 4.0f, 1e-6);

    /* add with broadcasting: [2,4] + alpha * [4] (other = first row of x) -> out [2,4] in BF16 */
    void *dyb = dalloc(N * 2);
    aclTensor *O4 = tensor(d2, 2, ACL_FLOAT, dx), *Yb = tensor(d2, 2, ACL_BF16, dyb);
    int64_t d4[1] = {4};
    aclTensor *R4 = tensor(d4, 1, ACL_FLOAT, dx);
    double alpha = 2.0;
    aclScalar *al = aclCreateScalar(&alpha, ACL_DOUBLE);
    CHECK_EQ(aclnnAddGetWorkspaceSize(O4, R4, NULL, Yb, &ws, &ex), ACLNN_ERR_PARAM_NULLPTR);
    CHECK_EQ(aclnnAddGetWorkspaceSize(O4, R4, al, Yb, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnAdd, ws, ex), 0);
    uint16_t yb[N];
    download(yb, dyb, sizeof yb);
    ok = 1;
    for (int i = 0; i < N; i++) {
        float want = x[i] + 2.0f * x[i % 4];
        uint32_t u = (uint32_t)yb[i] << 16;
        float got;
        memcpy(&got, &u, 4);
        ok &= fabsf(got - want) <= fabsf(want) / 128.0f;
    }
    CHECK(ok);
    CHECK_EQ(aclnnMulGetWorkspaceSize(O4, R4, Y2, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnMul, ws, ex), 0);
    download(y, dy, sizeof y);
    CHECK(y[5] == x[5] * x[1] && y[2] == x[2] * x[2]);
    int64_t d3[1] = {3};
    aclTensor *R3 = tensor(d3, 1, ACL_FLOAT, dx);
    CHECK_EQ(aclnnMulGetWorkspaceSize(O4, R3, Y2, &ws, &ex), ACLNN_ERR_PARAM_INVALID);

    /* cast F32 -> I32 (truncation) and F32 -> F16 */
    void *di = dalloc(N * 4);
    aclTensor *I = tensor(d1, 1, ACL_INT32, di);
    CHECK_EQ(aclnnCastGetWorkspaceSize(X, ACL_INT32, I, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnCast, ws, ex), 0);
    int32_t iv[N];
    download(iv, di, sizeof iv);
    CHECK(iv[0] == -3 && iv[2] == 0 && iv[4] == 0 && iv[7] == 4);
    CHECK_EQ(aclnnCastGetWorkspaceSize(X, ACL_FLOAT16, I, &ws, &ex), ACLNN_ERR_PARAM_INVALID);

    aclTensor *all[] = {X, Y, X2, Y2, Yh, O4, Yb, R4, R3, I};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) CHECK_EQ(aclDestroyTensor(all[i]), 0);
    aclDestroyScalar(al);
    aclrtFree(dx);
    aclrtFree(dy);
    aclrtFree(dyb);
    aclrtFree(di);
}

static void test_norm_rope(void)
{
    /* RmsNorm: x [2,4], gamma [4], rstd [2,1] */
    float x[8] = {1, 2, 3, 4, -1, 0, 1, 0}, g[4] = {1, 0.5f, 2, 1}, y[8], r[2];
    int64_t xd[2] = {2, 4}, gd[1] = {4}, rd[2] = {2, 1};
    void *dx = upload(x, sizeof x), *dg = upload(g, sizeof g), *dy = dalloc(sizeof y), *dr = dalloc(sizeof r);
    aclTensor *X = tensor(xd, 2, ACL_FLOAT, dx), *G = tensor(gd, 1, ACL_FLOAT, dg), *Y = tensor(xd, 2, ACL_FLOAT, dy);
    aclTensor *R = tensor(rd, 2, ACL_FLOAT, dr);
    uint64_t ws;
    aclOpExecutor *ex;
    CHECK_EQ(aclnnRmsNormGetWorkspaceSize(X, G, 1e-6, Y, NULL, &ws, &ex), ACLNN_ERR_PARAM_NULLPTR);
    CHECK_EQ(aclnnRmsNormGetWorkspaceSize(X, G, 1e-6, Y, R, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnRmsNorm, ws, ex), 0);
    download(y, dy, sizeof y);
    download(r, dr, sizeof r);
    float r0 = 1.0f / sqrtf(30.0f / 4.0f + 1e-6f);
    CHECK_NEAR(r[0], r0, 1e-6);
    CHECK_NEAR(y[2], 3 * r0 * 2, 1e-5);

    /* RoPE half mode, x [1,2,1,4], cos/sin [1,2,1,4] */
    float rx[8] = {1, 2, 3, 4, 5, 6, 7, 8}, c[8], s[8], ro[8];
    for (int i = 0; i < 8; i++) {
        c[i] = cosf(0.1f * (float)i);
        s[i] = sinf(0.1f * (float)i);
    }
    int64_t d4[4] = {1, 2, 1, 4};
    void *drx = upload(rx, sizeof rx), *dc = upload(c, sizeof c), *ds = upload(s, sizeof s), *dro = dalloc(sizeof ro);
    aclTensor *RX = tensor(d4, 4, ACL_FLOAT, drx), *RC = tensor(d4, 4, ACL_FLOAT, dc), *RS = tensor(d4, 4, ACL_FLOAT, ds);
    aclTensor *RO = tensor(d4, 4, ACL_FLOAT, dro);
    for (int mode = 0; mode <= 1; mode++) {
        CHECK_EQ(aclnnRotaryPositionEmbeddingGetWorkspaceSize(RX, RC, RS, mode, RO, &ws, &ex), 0);
        CHECK_EQ(run2(aclnnRotaryPositionEmbedding, ws, ex), 0);
        download(ro, dro, sizeof ro);
        int ok = 1;
        for (int row = 0; row < 2; row++)
            for (int i = 0; i < 4; i++) {
                const float *xr = rx + row * 4;
                float rot = mode == 0 ? (i < 2 ? -xr[i + 2] : xr[i - 2]) : (i % 2 == 0 ? -xr[i + 1] : xr[i - 1]);
                ok &= fabsf(ro[row * 4 + i] - (xr[i] * c[row * 4 + i] + rot * s[row * 4 + i])) < 1e-6f;
            }
        CHECK(ok);
    }
    CHECK_EQ(aclnnRotaryPositionEmbeddingGetWorkspaceSize(RX, RC, RS, 2, RO, &ws, &ex), ACLNN_ERR_PARAM_INVALID);
    aclTensor *all[] = {X, G, Y, R, RX, RC, RS, RO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) aclDestroyTensor(all[i]);
    void *ptrs[] = {dx, dg, dy, dr, drx, dc, ds, dro};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) aclrtFree(ptrs[i]);
}

static void test_moe(void)
{
    /* gating: T=2, E=4, 2 groups of 2, keep 1 group, k=2, sigmoid, bias steers selection */
    enum { T = 2, E = 4, K = 2, H = 3 };
    float x[T * E] = {0.1f, 0.2f, 2.0f, -1.0f, 1.0f, 1.0f, -2.0f, 0.5f}, bias[E] = {0, 0, 0, 0.5f};
    float y[T * K], sc[T * E];
    int32_t idx[T * K];
    int64_t xd[2] = {T, E}, bd[1] = {E}, yd[2] = {T, K};
    void *dx = upload(x, sizeof x), *db = upload(bias, sizeof bias), *dy = dalloc(sizeof y), *di = dalloc(sizeof idx);
    void *ds = dalloc(sizeof sc);
    aclTensor *X = tensor(xd, 2, ACL_FLOAT, dx), *B = tensor(bd, 1, ACL_FLOAT, db), *Y = tensor(yd, 2, ACL_FLOAT, dy);
    aclTensor *I = tensor(yd, 2, ACL_INT32, di), *S = tensor(xd, 2, ACL_FLOAT, ds);
    uint64_t ws;
    aclOpExecutor *ex;
    CHECK_EQ(aclnnMoeGatingTopKGetWorkspaceSize(X, B, K, 1, 2, 0, 1, 1, true, 1.0, 1e-20, Y, I, S, &ws, &ex),
             ACLNN_ERR_PARAM_INVALID); /* renorm 1 */
    CHECK_EQ(aclnnMoeGatingTopKGetWorkspaceSize(X, B, K, 1, 2, 0, 0, 1, true, 2.5, 1e-20, Y, I, S, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnMoeGatingTopK, ws, ex), 0);
    download(y, dy, sizeof y);
    download(idx, di, sizeof idx);
    download(sc, ds, sizeof sc);
    float sg[T * E];
    for (int i = 0; i < T * E; i++) sg[i] = 1.0f / (1.0f + expf(-x[i]));
    /* row 0: s' = {.525,.550,.881,.769}: group scores .550 / .881 -> group 1 -> experts 2, 3 */
    CHECK(idx[0] == 2 && idx[1] == 3);
    CHECK_NEAR(y[0], sg[2] / (sg[2] + sg[3]) * 2.5f, 1e-5);
    /* row 1: s' = {.731,.731,.119,1.122}: group 1 wins (1.122) -> experts 3, 2 */
    CHECK(idx[2] == 3 && idx[3] == 2);
    CHECK_NEAR(sc[5], sg[5], 1e-6);

    {
        /* softmax scores, groupSelectMode 1: row 0 groups {0.1,0.2}=sum small, {2,-1}; row 1 {1,1} beats {-2,.5} */
        CHECK_EQ(aclnnMoeGatingTopKGetWorkspaceSize(X, NULL, 1, 1, 2, 1, 0, 0, false, 1.0, 0.0, Y, I, NULL, &ws, &ex),
                 ACLNN_ERR_PARAM_INVALID); /* yOut is [T,2] but k = 1 */
        CHECK_EQ(aclnnMoeGatingTopKGetWorkspaceSize(X, NULL, 2, 1, 2, 1, 0, 0, false, 1.0, 0.0, Y, I, NULL, &ws, &ex), 0);
        CHECK_EQ(run2(aclnnMoeGatingTopK, ws, ex), 0);
        download(y, dy, sizeof y);
        download(idx, di, sizeof idx);
        float e0[E], s0 = 0;
        for (int e = 0; e < E; e++) s0 += (e0[e] = expf(x[e] - 2.0f));
        /* row 0 softmax: group0 sum = p0+p1, group1 = p2+p3: p2 dominates -> experts 2, 3 */
        CHECK(idx[0] == 2 && idx[1] == 3);
        CHECK_NEAR(y[0], e0[2] / s0, 1e-6);
        /* row 1: ties 1.0/1.0 in group 0 -> experts 0 then 1 */
        CHECK(idx[2] == 0 && idx[3] == 1);
    }

    /* init routing: x [T,H], expertIdx [T,K] -> expanded rows sorted by expert */
    float rx[T * H] = {1, 2, 3, 4, 5, 6}, ex_x[T * K * H];
    int32_t eidx[T * K] = {2, 0, 0, 1}, rowidx[T * K];
    int64_t cnt[E];
    int64_t rxd[2] = {T, H}, exd[2] = {T * K, H}, rid[1] = {T * K}, cd[1] = {E};
    void *drx = upload(rx, sizeof rx), *dei = upload(eidx, sizeof eidx), *dex = dalloc(sizeof ex_x);
    void *dri = dalloc(sizeof rowidx), *dcnt = dalloc(sizeof cnt);
    aclTensor *RX = tensor(rxd, 2, ACL_FLOAT, drx), *EI = tensor(yd, 2, ACL_INT32, dei);
    aclTensor *EX = tensor(exd, 2, ACL_FLOAT, dex), *RI = tensor(rid, 1, ACL_INT32, dri), *CN = tensor(cd, 1, ACL_INT64, dcnt);
    CHECK_EQ(aclnnMoeInitRoutingV2GetWorkspaceSize(RX, EI, 0, 0, E, 0, 1, false, EX, RI, CN, NULL, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnMoeInitRoutingV2, ws, ex), 0);
    download(ex_x, dex, sizeof ex_x);
    download(rowidx, dri, sizeof rowidx);
    download(cnt, dcnt, sizeof cnt);
    /* flattened ids {2,0,0,1}: sorted i = 1 (e0), 2 (e0), 3 (e1), 0 (e2) */
    CHECK(rowidx[0] == 3 && rowidx[1] == 0 && rowidx[2] == 1 && rowidx[3] == 2);
    CHECK(ex_x[0] == 1 && ex_x[3] == 4 && ex_x[6] == 4 && ex_x[9] == 1);
    CHECK(cnt[0] == 2 && cnt[1] == 3 && cnt[2] == 4 && cnt[3] == 4);
    int32_t badidx[T * K] = {2, 0, 7, 1};
    CHECK_EQ(aclrtMemcpy(dei, sizeof badidx, badidx, sizeof badidx, ACL_MEMCPY_HOST_TO_DEVICE), 0);
    CHECK_EQ(aclnnMoeInitRoutingV2GetWorkspaceSize(RX, EI, 0, 0, E, 0, 2, false, EX, RI, CN, NULL, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnMoeInitRoutingV2, ws, ex), ACLNN_ERR_PARAM_INVALID);

    /* finalize: out[i] = x1[i] + sum_k scales[i,k] * expandedX[rowIdx[i + k*T]] (identity of the permutation) */
    float scales[T * K] = {0.25f, 0.75f, 0.5f, 0.5f}, out[T * H];
    void *dsc = upload(scales, sizeof scales), *dout = dalloc(sizeof out);
    /* expandedRowIdx in the finalize layout: index i + k*T */
    int32_t fri[T * K];
    for (int i = 0; i < T; i++)
        for (int k = 0; k < K; k++) fri[i + k * T] = rowidx[i * K + k];
    void *dfri = upload(fri, sizeof fri);
    aclTensor *FRI = tensor(rid, 1, ACL_INT32, dfri), *SC = tensor(yd, 2, ACL_FLOAT, dsc), *OUT = tensor(rxd, 2, ACL_FLOAT, dout);
    CHECK_EQ(aclnnMoeFinalizeRoutingV2GetWorkspaceSize(EX, FRI, RX, NULL, NULL, SC, NULL, 0, OUT, &ws, &ex), 0);
    CHECK_EQ(run2(aclnnMoeFinalizeRoutingV2, ws, ex), 0);
    download(out, dout, sizeof out);
    CHECK(out[0] == 1 + 0.25f * 1 + 0.75f * 1 && out[5] == 6 + 0.5f * 6 + 0.5f * 6);
    CHECK_EQ(aclnnMoeFinalizeRoutingV2GetWorkspaceSize(EX, FRI, NULL, NULL, RX, SC, NULL, 0, OUT, &ws, &ex),
             ACLNN_ERR_PARAM_NULLPTR); /* bias without expertIdx */

    aclTensor *all[] = {X, B, Y, I, S, RX, EI, EX, RI, CN, FRI, SC, OUT};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) aclDestroyTensor(all[i]);
    void *ptrs[] = {dx, db, dy, di, ds, drx, dei, dex, dri, dcnt, dsc, dout, dfri};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) aclrtFree(ptrs[i]);
}

static void test_faults(void)
{
    void *p = NULL;
    aclsimInjectFault(1, 207001);
    CHECK_EQ(aclrtMalloc(&p, 64, 0), 207001);
    CHECK_EQ(aclrtMalloc(&p, 64, 0), 0); /* one-shot */
    char h[64] = {0};
    aclsimInjectFault(3, 507000);
    CHECK_EQ(aclrtMemcpy(p, 64, h, 64, ACL_MEMCPY_HOST_TO_DEVICE), 507000);
    CHECK_EQ(aclrtMemcpy(p, 64, h, 64, ACL_MEMCPY_HOST_TO_DEVICE), 0);
    /* launch fault consumes the executor */
    int64_t d[1] = {16};
    aclTensor *X = tensor(d, 1, ACL_FLOAT, p);
    uint64_t ws;
    aclOpExecutor *ex;
    CHECK_EQ(aclnnSiluGetWorkspaceSize(X, X, &ws, &ex), 0);
    aclsimInjectFault(2, 507015);
    int64_t l0 = aclsimCounter(2);
    CHECK_EQ(aclnnSilu(NULL, 0, ex, NULL), 507015);
    CHECK_EQ(aclnnSilu(NULL, 0, ex, NULL), ACLNN_ERR_PARAM_INVALID);
    CHECK_EQ(aclsimCounter(2), l0);
    CHECK_EQ(aclsimLiveCount(3), 0);
    /* cleared faults do not fire; an unrun executor can be destroyed */
    aclsimInjectFault(2, 507015);
    aclsimInjectFault(0, 0);
    CHECK_EQ(aclnnSiluGetWorkspaceSize(X, X, &ws, &ex), 0);
    CHECK_EQ(aclDestroyAclOpExecutor(ex), 0);
    CHECK_EQ(aclDestroyAclOpExecutor(ex), ACLNN_ERR_PARAM_INVALID);
    aclDestroyTensor(X);
    aclrtFree(p);
}

int main(void)
{
    test_init_finalize();
    test_devices_contexts();
    test_memory();
    test_streams_events();
    test_kernels();
    test_nnopbase();
    test_matmul();
    test_grouped_matmul();
    test_elementwise();
    test_norm_rope();
    test_moe();
    test_faults();
    CHECK_EQ(aclsimLiveCount(0), 0);
    CHECK_EQ(aclsimLiveCount(2), 0);
    CHECK_EQ(aclsimLiveCount(3), 0);
    CHECK_EQ(aclFinalize(), 0);
    uint64_t ws;
    aclOpExecutor *ex;
    CHECK_EQ(aclnnSiluGetWorkspaceSize(NULL, NULL, &ws, &ex), ACLNN_ERR_RUNTIME_ERROR);
    printf("acl-sim smoke: %d checks, %d failures\n", g_checks, g_failures);
    return g_failures ? 1 : 0;
}
