/* libascendcl: streams, events, graph capture (unsupported). Work runs synchronously at enqueue time. */
#include <stdlib.h>
#include <time.h>

#include "rt_state.h"

typedef struct sim_stream {
    int32_t device;
} sim_stream;

typedef struct sim_event {
    uint32_t flags;
    bool recorded;
    struct timespec when;
} sim_event;

#define RT_CHECK_STREAM(s)                                                                                 \
    do {                                                                                                   \
        if (!aclsim_internal_stream_ok(s))                                                                 \
            RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "stream %p is not a live stream (%s)", (void *)(s),      \
                    rt_kind_name(aclsim_internal_reg_kind(s)));                                            \
    } while (0)
#define RT_CHECK_EVENT(e)                                                                                  \
    do {                                                                                                   \
        RT_NOTNULL(e, #e);                                                                                 \
        if (aclsim_internal_reg_kind(e) != SIM_K_EVENT)                                                    \
            RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "event %p is not a live event (%s)", (void *)(e),        \
                    rt_kind_name(aclsim_internal_reg_kind(e)));                                            \
    } while (0)

/* ---------------------------------------------------------------- streams */

ACLSIM_API aclError aclrtCreateStream(aclrtStream *stream)
{
    RT_ENTER("aclrtCreateStream");
    RT_NOTNULL(stream, "stream");
    RT_NEED_CTX();
    sim_stream *s = calloc(1, sizeof *s);
    if (s == NULL) RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    s->device = rt_current_ctx()->device;
    if (!aclsim_internal_reg_add(s, SIM_K_STREAM)) {
        free(s);
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    }
    *stream = s;
    RT_LEAVE
}

ACLSIM_API aclError aclrtDestroyStream(aclrtStream stream)
{
    RT_ENTER("aclrtDestroyStream");
    RT_NOTNULL(stream, "stream");
    if (!aclsim_internal_reg_remove(stream, SIM_K_STREAM))
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "stream %p is not a live stream (%s)", stream,
                rt_kind_name(aclsim_internal_reg_kind(stream)));
    free(stream);
    RT_LEAVE
}

ACLSIM_API aclError aclrtSynchronizeStream(aclrtStream stream)
{
    RT_ENTER("aclrtSynchronizeStream");
    RT_CHECK_STREAM(stream);
    RT_LEAVE
}

ACLSIM_API aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event)
{
    RT_ENTER("aclrtStreamWaitEvent");
    RT_CHECK_STREAM(stream);
    RT_CHECK_EVENT(event);
    RT_LEAVE
}

/* ---------------------------------------------------------------- events */

static int event_new(const char *fn_, aclrtEvent *event, uint32_t flags)
{
    int rc = ACL_SUCCESS;
    sim_event *e = calloc(1, sizeof *e);
    if (e == NULL) RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    e->flags = flags;
    if (!aclsim_internal_reg_add(e, SIM_K_EVENT)) {
        free(e);
        RT_FAIL(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of host memory");
    }
    *event = e;
done:
    return rc;
}

ACLSIM_API aclError aclrtCreateEvent(aclrtEvent *event)
{
    RT_ENTER("aclrtCreateEvent");
    RT_NOTNULL(event, "event");
    RT_NEED_CTX();
    rc = event_new(fn_, event, 0);
    RT_LEAVE
}

ACLSIM_API aclError aclrtCreateEventWithFlag(aclrtEvent *event, uint32_t flag)
{
    RT_ENTER("aclrtCreateEventWithFlag");
    RT_NOTNULL(event, "event");
    RT_NEED_CTX();
    if ((flag & ~(uint32_t)0x9u) != 0)
        RT_FAIL(ACL_ERROR_INVALID_PARAM, "flag 0x%x is not a combination of ACL_EVENT_SYNC (0x1) and "
                "ACL_EVENT_TIME_LINE (0x8)", flag);
    rc = event_new(fn_, event, flag);
    RT_LEAVE
}

ACLSIM_API aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream)
{
    RT_ENTER("aclrtRecordEvent");
    RT_CHECK_EVENT(event);
    RT_CHECK_STREAM(stream);
    sim_event *e = event;
    clock_gettime(CLOCK_MONOTONIC, &e->when);
    e->recorded = true;
    RT_LEAVE
}

ACLSIM_API aclError aclrtSynchronizeEvent(aclrtEvent event)
{
    RT_ENTER("aclrtSynchronizeEvent");
    RT_CHECK_EVENT(event);
    RT_LEAVE
}

ACLSIM_API aclError aclrtQueryEventStatus(aclrtEvent event, int32_t *status)
{
    RT_ENTER("aclrtQueryEventStatus");
    RT_CHECK_EVENT(event);
    RT_NOTNULL(status, "status");
    *status = ((sim_event *)event)->recorded ? 1 : 0;
    RT_LEAVE
}

ACLSIM_API aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent, aclrtEvent endEvent)
{
    RT_ENTER("aclrtEventElapsedTime");
    RT_NOTNULL(ms, "ms");
    RT_CHECK_EVENT(startEvent);
    RT_CHECK_EVENT(endEvent);
    sim_event *a = startEvent, *b = endEvent;
    if (!a->recorded) RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "start event %p has not been recorded", startEvent);
    if (!b->recorded) RT_FAIL(ACL_ERROR_RT_PARAM_INVALID, "end event %p has not been recorded", endEvent);
    double d = (double)(b->when.tv_sec - a->when.tv_sec) * 1e3 + (double)(b->when.tv_nsec - a->when.tv_nsec) / 1e6;
    *ms = (float)d;
    RT_LEAVE
}

ACLSIM_API aclError aclrtDestroyEvent(aclrtEvent event)
{
    RT_ENTER("aclrtDestroyEvent");
    RT_NOTNULL(event, "event");
    if (!aclsim_internal_reg_remove(event, SIM_K_EVENT))
        RT_FAIL(ACL_ERROR_RT_INVALID_HANDLE, "event %p is not a live event (%s)", event,
                rt_kind_name(aclsim_internal_reg_kind(event)));
    free(event);
    RT_LEAVE
}

/* ---------------------------------------------------------------- graph capture: validated, then unsupported */

#define RT_NO_CAPTURE() RT_FAIL(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "graph capture is not supported by acl-sim")

ACLSIM_API aclError aclmdlRICaptureBegin(aclrtStream stream, int32_t mode)
{
    RT_ENTER("aclmdlRICaptureBegin");
    RT_CHECK_STREAM(stream);
    if (mode < 0 || mode > 2) RT_FAIL(ACL_ERROR_INVALID_PARAM, "mode %d is not an aclmdlRICaptureMode (0..2)", mode);
    RT_NO_CAPTURE();
    RT_LEAVE
}

ACLSIM_API aclError aclmdlRICaptureEnd(aclrtStream stream, aclmdlRI *modelRI)
{
    RT_ENTER("aclmdlRICaptureEnd");
    RT_NOTNULL(modelRI, "modelRI");
    RT_CHECK_STREAM(stream);
    *modelRI = NULL;
    RT_NO_CAPTURE();
    RT_LEAVE
}

ACLSIM_API aclError aclmdlRIExecuteAsync(aclmdlRI modelRI, aclrtStream stream)
{
    RT_ENTER("aclmdlRIExecuteAsync");
    RT_NOTNULL(modelRI, "modelRI");
    RT_CHECK_STREAM(stream);
    RT_NO_CAPTURE();
    RT_LEAVE
}

ACLSIM_API aclError aclmdlRIDestroy(aclmdlRI modelRI)
{
    RT_ENTER("aclmdlRIDestroy");
    RT_NOTNULL(modelRI, "modelRI");
    RT_NO_CAPTURE();
    RT_LEAVE
}
