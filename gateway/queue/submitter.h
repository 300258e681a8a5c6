/*
 * Group commit for submits. A validated POST /jobs (or /jobs/batch) parks here with its
 * connection suspended; one thread inserts everything that is waiting in one statement — one
 * commit, one WAL flush — and resumes each request with its ids. No artificial delay: while a
 * commit is in flight new submits accumulate, so batches grow with load and an idle gateway
 * commits a lone submit at once. A 201 is sent only after the commit (synchronous_commit=on).
 */
#ifndef GW_SUBMITTER_H
#define GW_SUBMITTER_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway.h"
#include <libpq-fe.h>

#include "db/db.h"
#include "jobs/job_spec.h"

struct gw_submitter;

struct gw_submission {
    struct gw_request *rq;
    struct gw_job_input *in; /* n validated jobs, owned by the submission */
    size_t n;
    bool batch;
    char tenant[128];
    long long token_id;
    const char *idem_key;    /* Idempotency-Key or NULL (borrowed from the request) */
    char idem_hash[65];      /* fingerprint of the request, with a key */
    /* Outcome, written by the submitter before it resumes the request: */
    char (*ids)[37];         /* public ids, n of them */
    char (*created)[48];     /* created_at as RFC 3339 */
    bool done;               /* committed */
    int db_error;            /* enum db_error when not done */
    /* Submitter bookkeeping: */
    struct gw_submission *next;
};

struct gw_submitter *gw_submitter_new(struct gw_ctx *gw);
void gw_submitter_free(struct gw_submitter *s);

/* Queue @p sub and suspend its connection; the handler runs again once it is committed. */
void gw_submitter_enqueue(struct gw_submitter *s, struct gw_submission *sub);

/**
 * Insert the jobs of @p count submissions in one statement on @p db; returns the result
 * (public_id, created_at, idem_key, id per inserted job, in input order) or NULL (db->err set).
 */
PGresult *gw_jobs_insert(struct db_conn *db, struct gw_submission *const *subs, size_t count);

/* Release a submission's memory (inputs and outcome). */
void gw_submission_free(struct gw_submission *sub);

#endif
