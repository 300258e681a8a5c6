/*
 * Long-poll waiters for GET /jobs/<id>?wait= and POST /jobs/wait: a request parks here (its
 * connection suspended, no thread held) until one of its jobs ends anywhere (woken by id,
 * in-process or through LISTEN/NOTIFY) or its deadline passes; then it is resumed once and its
 * handler answers with the jobs as they are then.
 */
#ifndef GW_WAITERS_H
#define GW_WAITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "gateway.h"

struct gw_waiters;
struct gw_wait_group;

/* One job a request waits for. */
struct gw_wait {
    char id[40];                 /* the job's public id, lower case */
    struct gw_wait_group *group;
    struct gw_wait *next;        /* bucket chain */
};

/* One parked request and the jobs it waits for; lives in the request's state. */
struct gw_wait_group {
    struct gw_request *rq;
    struct timespec deadline;    /* CLOCK_MONOTONIC */
    struct gw_wait *waits;       /* n of them, owned */
    size_t n;
    bool registered;
    bool suspended;              /* the connection is suspended: the waker must resume it */
    bool fired;                  /* woken or timed out */
    size_t heap_index;
};

/* A group for @p n job ids (filled in by the caller); deadline @p ms from now. NULL on ENOMEM. */
struct gw_wait_group *gw_wait_group_new(struct gw_request *rq, size_t n, long ms);
void gw_wait_group_free(struct gw_waiters *ws, struct gw_wait_group *g);

struct gw_waiters *gw_waiters_new(void);

/* Stop the timer thread and resume everyone (shutdown); then free. */
void gw_waiters_free(struct gw_waiters *ws);

/* Register @p g before reading its jobs' state, so an end that happens after the read wakes it. */
void gw_wait_register(struct gw_waiters *ws, struct gw_wait_group *g);

/* None of the jobs had ended: suspend the connection unless a wake-up already came.
 * Returns true when suspended (the handler returns GW_SUSPENDED), false to answer now. */
bool gw_wait_suspend(struct gw_waiters *ws, struct gw_wait_group *g);

/* Withdraw a registration that is no longer needed. */
void gw_wait_cancel(struct gw_waiters *ws, struct gw_wait_group *g);

/* Wake every request waiting for a job (public id). */
void gw_waiters_wake(struct gw_waiters *ws, const char *id);

/* Wake everyone: after a lost LISTEN connection, or at shutdown. */
void gw_waiters_wake_all(struct gw_waiters *ws);

/* Number of parked requests, for metrics. */
long gw_waiters_count(struct gw_waiters *ws);

#endif
