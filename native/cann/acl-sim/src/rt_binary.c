/* libascendcl: "AscendC kernel" binaries (shared objects loaded with dlopen) and aclrtLaunchKernel. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "rt_state.h"

typedef void (*sim_kernel_fn)(uint32_t blockIdx, uint32_t numBlocks, const void *args, size_t argsSize);

typedef struct sim_function {
    sim_kernel_fn entry;
    struct sim_function *next;
    char name[];
} sim_function;

typedef struct sim_binary {
    void *dl;
    sim_function *functions;
} sim_binary;

ACLSIM_API aclError aclrtBinaryLoadFromFile(const char *binPath, void *options, aclrtBinHandle *binHandle)
{
    (void)options; /* ignored */
    RT_ENTER("aclrtBinaryLoadFromFile");
    RT_NOTNULL(binPath, "binPath");
    RT_NOTNULL(binHandle, "binHandle");
    RT_NEED_CTX();
    dlerror();
    void *dl = dlopen(binPath, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        const char *why = dlerror();
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "cannot load '%s': %s", binPath, why ? why : "dlopen failed");
    }
    sim_binary *b = calloc(1, sizeof *b);
    if (b == NULL || !aclsim_internal_reg_add(b, SIM_K_BINARY)) {
        free(b);
        dlclose(dl);
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    }
    b->dl = dl;
    *binHandle = b;
    RT_LEAVE
}

ACLSIM_API aclError aclrtBinaryGetFunction(const aclrtBinHandle binHandle, const char *kernelName,
                                           aclrtFuncHandle *funcHandle)
{
    RT_ENTER("aclrtBinaryGetFunction");
    RT_NOTNULL(binHandle, "binHandle");
    RT_NOTNULL(kernelName, "kernelName");
    RT_NOTNULL(funcHandle, "funcHandle");
    if (aclsim_internal_reg_kind(binHandle) != SIM_K_BINARY)
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "binary %p is not a loaded binary (%s)", binHandle,
                rt_kind_name(aclsim_internal_reg_kind(binHandle)));
    sim_binary *b = binHandle;
    dlerror();
    void *sym = dlsym(b->dl, kernelName);
    if (sym == NULL) {
        const char *why = dlerror();
        RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "kernel '%s' not found in binary %p: %s", kernelName, binHandle,
                why ? why : "symbol is NULL");
    }
    size_t len = strlen(kernelName);
    sim_function *f = malloc(sizeof *f + len + 1);
    if (f == NULL || !aclsim_internal_reg_add(f, SIM_K_FUNCTION)) {
        free(f);
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    }
    f->entry = (sim_kernel_fn)sym;
    memcpy(f->name, kernelName, len + 1);
    f->next = b->functions;
    b->functions = f;
    *funcHandle = f;
    RT_LEAVE
}

ACLSIM_API aclError aclrtBinaryUnLoad(aclrtBinHandle binHandle)
{
    RT_ENTER("aclrtBinaryUnLoad");
    RT_NOTNULL(binHandle, "binHandle");
    if (!aclsim_internal_reg_remove(binHandle, SIM_K_BINARY))
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "binary %p is not a loaded binary (%s)", binHandle,
                rt_kind_name(aclsim_internal_reg_kind(binHandle)));
    sim_binary *b = binHandle;
    for (sim_function *f = b->functions, *next; f != NULL; f = next) {
        next = f->next;
        aclsim_internal_reg_remove(f, SIM_K_FUNCTION);
        free(f);
    }
    dlclose(b->dl);
    free(b);
    RT_LEAVE
}

ACLSIM_API aclError aclrtLaunchKernel(aclrtFuncHandle funcHandle, uint32_t numBlocks, const void *argsData,
                                      size_t argsSize, aclrtStream stream)
{
    sim_kernel_fn entry = NULL;
    {
        RT_ENTER("aclrtLaunchKernel");
        RT_NOTNULL(funcHandle, "funcHandle");
        if (aclsim_internal_reg_kind(funcHandle) != SIM_K_FUNCTION)
            RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "function %p is not a live function handle (%s)", funcHandle,
                    rt_kind_name(aclsim_internal_reg_kind(funcHandle)));
        if (numBlocks == 0) RT_FAIL(ACL_ERROR_INVALID_PARAM, "numBlocks is 0");
        if (argsData == NULL && argsSize > 0)
            RT_FAIL(ACL_ERROR_INVALID_PARAM, "argsData is NULL but argsSize is %zu", argsSize);
        if (!aclsim_internal_stream_ok(stream))
            RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "stream %p is not a live stream", stream);
        int32_t code;
        if (aclsim_internal_take_fault(SIM_FAULT_LAUNCH, &code))
            RT_FAIL(code, "injected launch fault (kernel '%s')", ((sim_function *)funcHandle)->name);
        entry = ((sim_function *)funcHandle)->entry;
    done:
        aclsim_internal_unlock();
        if (rc != ACL_SUCCESS) return rc;
    }
    /* run outside the lock: a kernel is user code */
    for (uint32_t b = 0; b < numBlocks; b++) entry(b, numBlocks, argsData, argsSize);
    aclsim_internal_count(SIM_CNT_KERNEL_LAUNCH);
    return ACL_SUCCESS;
}
