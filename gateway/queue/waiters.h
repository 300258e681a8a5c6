/*
 * Long-poll waiters for GET /jobs/<id>?wait=: a request parks here (its connection suspended, no
 * thread held) until its job ends anywhere (woken by id, in-process or through LISTEN/NOTIFY) or
 * its deadline passes, then it is resumed and its handler answers with the job as it is then.
 */
#ifndef GW_WAITERS_H
#define GW_WAITERS_H

#include <stdbool.h>
#include <time.h>

#include "gateway.h"

struct gw_waiters;

/* One parked request; lives in the request's state, registered at most once at a time. */
struct gw_wait {
    char id[40];               /* the job's public id, lower case */
    struct gw_request *rq;
    struct timespec deadline;  /* CLOCK_MONOTONIC */
    bool registered;
    bool suspended;            /* the connection is suspended: a waker must resume it */
    bool fired;                /* woken or timed out */
    struct gw_wait *next;      /* bucket chain */
    size_t heap_index;
};

struct gw_waiters *gw_waiters_new(void);

/* Stop the timer thread and resume everyone (shutdown); then free. */
void gw_waiters_free(struct gw_waiters *ws);

/* Register @p w (id, rq and deadline set by the caller) before reading the job's state. */
void gw_wait_register(struct gw_waiters *ws, struct gw_wait *w);

/* The job was not finished: suspend the connection unless a wake-up already came.
 * Returns true when suspended (the handler returns GW_SUSPENDED), false to answer now. */
bool gw_wait_suspend(struct gw_waiters *ws, struct gw_wait *w);

/* Withdraw a registration that is no longer needed (the job was already finished). */
void gw_wait_cancel(struct gw_waiters *ws, struct gw_wait *w);

/* Wake every waiter of a job (public id). */
void gw_waiters_wake(struct gw_waiters *ws, const char *id);

/* Wake everyone: after a lost LISTEN connection, or at shutdown. */
void gw_waiters_wake_all(struct gw_waiters *ws);

/* Number of parked requests, for metrics. */
long gw_waiters_count(struct gw_waiters *ws);

#endif
