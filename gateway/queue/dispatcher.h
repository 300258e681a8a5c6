/*
 * The lease dispatcher: executors' long-polls park here; one thread per gateway claims jobs for
 * them (FOR UPDATE SKIP LOCKED, in batches) when work may have arrived: a submit in this process,
 * a NOTIFY from another gateway, a promoted retry, a new waiter, or a periodic tick.
 */
#ifndef GW_DISPATCHER_H
#define GW_DISPATCHER_H

#include <stdbool.h>
#include <time.h>

#include "gateway.h"

struct gw_dispatcher;
struct db_conn;

struct gw_lease_wait {
    struct gw_request *rq;
    char executor_id[40];
    char runtimes[1024];       /* PostgreSQL array literal, e.g. {python3,c11} */
    int max_jobs;
    long lease_ms;
    struct timespec deadline;  /* CLOCK_MONOTONIC */
    /* Outcome, written by the dispatcher before it resumes the request: */
    char *body;                /* the JSON response (malloc'd), or NULL */
    size_t body_len;
    int njobs;
    bool db_down;              /* the last claim could not reach PostgreSQL */
    /* Dispatcher bookkeeping: */
    bool registered, suspended, fired, fresh;
    struct gw_lease_wait *next;
};

struct gw_dispatcher *gw_dispatcher_new(struct gw_ctx *gw);

/* Stop the thread, answering every parked executor with what it has (usually no jobs). */
void gw_dispatcher_free(struct gw_dispatcher *d);

/* Park @p w and suspend its connection; always returns GW_SUSPENDED (or GW_OK when answered). */
void gw_dispatcher_park(struct gw_dispatcher *d, struct gw_lease_wait *w);

/* Work may be available: claim for the parked executors now. */
void gw_dispatcher_kick(struct gw_dispatcher *d);

/* Answer every parked executor at once (shutdown). */
void gw_dispatcher_release_all(struct gw_dispatcher *d);

/* Claim for the @p n waiters @p ws, which share one runtime set, in one statement on @p db:
 * jobs go in arrival order, each up to its max_jobs. Sets each one's body (when it got jobs) and
 * db_down; returns the number of jobs claimed or -1 when PostgreSQL could not be reached. */
int gw_lease_claim(struct gw_ctx *gw, struct db_conn *db, struct gw_lease_wait **ws, int n);

#endif
