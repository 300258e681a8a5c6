#include "jobs_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/catalog.h"
#include "jobs/job_json.h"
#include "jobs/job_spec.h"
#include "jobs/json_write.h"
#include "metrics.h"
#include "problems.h"
#include "queue/events.h"
#include "queue/submitter.h"
#include "sha256.h"

static void free_submission(struct gw_request *rq)
{
    gw_submission_free(rq->state);
    rq->state = NULL;
}

/* The job as just created, from what was validated (no second round trip), written as the text
 * json_dumps would make: building a json_t and dumping it took a quarter of the gateway's CPU per
 * submit (and printf a tenth). Every string here is JSON-safe (a uuid, catalog names, a timestamp); labels and limits
 * are compact JSON already. */
static int created_text(struct jg_buf *b, const struct gw_job_input *in, const char *id,
                        const char *created)
{
    int rc = gw_json_write_raw(b, "{\"id\":\"");
    rc |= gw_json_write_raw(b, id);
    rc |= gw_json_write_raw(b, "\",\"status\":\"queued\",\"runtime\":\"");
    rc |= gw_json_write_raw(b, in->runtime);
    rc |= gw_json_write_raw(b, "\",\"kind\":\"");
    rc |= gw_json_write_raw(b, gw_kind_name(in->kind));
    rc |= gw_json_write_raw(b, "\",\"priority\":");
    rc |= gw_json_write_int(b, in->priority);
    rc |= gw_json_write_raw(b, ",\"max_attempts\":");
    rc |= gw_json_write_int(b, in->max_attempts);
    rc |= gw_json_write_raw(b, ",\"attempts\":0,\"labels\":");
    rc |= gw_json_write_raw(b, in->labels_text);
    rc |= gw_json_write_raw(b, ",\"limits\":");
    rc |= gw_json_write_raw(b, in->limits_text);
    rc |= gw_json_write_raw(b, ",\"verdict\":null,\"created_at\":\"");
    rc |= gw_json_write_raw(b, created);
    rc |= gw_json_write_raw(b, "\",\"started_at\":null,\"finished_at\":null}");
    return rc;
}

/* 201 with the committed jobs of @p sub (ids and created filled): the job (Location) or
 * {"jobs": [...]}. */
static enum gw_result reply_committed(struct gw_request *rq, const struct gw_submission *sub)
{
    struct jg_buf b;
    jg_buf_init(&b, (size_t)1 << 31);
    int rc = sub->batch ? jg_buf_append(&b, "{\"jobs\":[", 9) : 0;
    for (size_t i = 0; i < sub->n && !rc; i++) {
        if (i > 0)
            rc = jg_buf_append(&b, ",", 1);
        rc |= created_text(&b, &sub->in[i], sub->ids[i], sub->created[i]);
    }
    if (sub->batch && !rc)
        rc = jg_buf_append(&b, "]}", 2);
    if (rc) {
        jg_buf_free(&b);
        return gw_reply_internal(rq, "out of memory");
    }
    if (!sub->batch) {
        snprintf(rq->header_value, sizeof rq->header_value, "/jobs/%s", sub->ids[0]);
        gw_reply_header(rq, "Location", rq->header_value);
    }
    size_t len;
    char *text = jg_buf_take(&b, &len);
    return gw_reply_json_text(rq, 201, text, len);
}

/* 201 with the job (Location) or {"jobs": [...]}; @p list is stolen. */
static enum gw_result reply_created(struct gw_request *rq, json_t *list, bool batch)
{
    if (batch)
        return gw_reply_json(rq, 201, json_pack("{s:o}", "jobs", list));
    json_t *job = json_incref(json_array_get(list, 0));
    json_decref(list);
    snprintf(rq->header_value, sizeof rq->header_value, "/jobs/%s",
             json_string_value(json_object_get(job, "id")));
    gw_reply_header(rq, "Location", rq->header_value);
    return gw_reply_json(rq, 201, job);
}

void gw_jobs_announce(struct gw_ctx *gw, size_t n)
{
    atomic_fetch_add(&gw->queue_depth, (long)n);
    gw_metrics_add(GW_JOBS_SUBMITTED, (long)n);
    gw_events_jobs_queued(gw->events);
}

enum gw_result gw_jobs_submit_resumed(struct gw_request *rq)
{
    struct gw_submission *sub = rq->state;
    if (!sub->done) {
        struct db_conn failed = {.err = (enum db_error)sub->db_error};
        snprintf(failed.errmsg, sizeof failed.errmsg, "group commit failed");
        return gw_reply_db_error(rq, &failed);
    }
    return reply_committed(rq, sub);
}

/* Idempotency-Key: a printable token of at most 200 bytes. */
static bool idem_key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return false;
    return true;
}

/* Same key as before: the same request gets the same jobs back, another one a 409. */
static enum gw_result replay(struct gw_request *rq, struct db_conn *db,
                             const struct gw_submission *sub)
{
    struct jg_buf keys;
    jg_buf_init(&keys, 1 << 20);
    int rc = jg_buf_append(&keys, "{", 1);
    for (size_t i = 0; i < sub->n; i++) {
        char k[256];
        if (sub->batch)
            snprintf(k, sizeof k, "%s#%zu", sub->idem_key, i);
        else
            snprintf(k, sizeof k, "%s", sub->idem_key);
        rc |= gw_pg_array_add(&keys, k, i == 0);
    }
    rc |= jg_buf_append(&keys, "}", 1);
    if (rc) {
        jg_buf_free(&keys);
        return gw_reply_internal(rq, "out of memory");
    }
    const char *params[] = {rq->who.tenant, keys.data};
    PGresult *r = db_exec(db, STMT_JOB_BY_IDEM, 2, params);
    jg_buf_free(&keys);
    if (!r)
        return gw_reply_db_error(rq, db);
    int rows = PQntuples(r);
    bool same = (size_t)rows == sub->n;
    for (int row = 0; row < rows && same; row++)
        same = strcmp(PQgetvalue(r, row, JC_NCOLS), sub->idem_hash) == 0;
    if (!same) {
        PQclear(r);
        return gw_reply_error(rq, 409, "idempotency-conflict", "Idempotency key reused",
                              "Idempotency-Key",
                              "this Idempotency-Key was used with a different request");
    }
    json_t *list = json_array();
    for (int row = 0; row < rows; row++)
        json_array_append_new(list, gw_job_row_to_json(r, row, true));
    PQclear(r);
    gw_reply_header(rq, "Idempotent-Replayed", "true");
    return reply_created(rq, list, sub->batch);
}

/* With a key, insert on this thread so conflicts can be replayed or refused in one transaction. */
static enum gw_result submit_idempotent(struct gw_request *rq, struct gw_submission *sub)
{
    struct db_conn *db = gw_db(rq);
    bool tx = sub->n > 1; /* a batch is replayed whole or not at all */
    if (tx && db_command(db, "BEGIN"))
        return gw_reply_db_error(rq, db);
    PGresult *r = gw_jobs_insert(db, &sub, 1);
    if (!r) {
        if (tx)
            db_command(db, "ROLLBACK");
        return gw_reply_db_error(rq, db);
    }
    size_t rows = (size_t)PQntuples(r);
    if (rows != sub->n) {
        PQclear(r);
        if (tx)
            db_command(db, "ROLLBACK");
        return replay(rq, db, sub);
    }
    if (tx && db_command(db, "COMMIT")) {
        PQclear(r);
        return gw_reply_db_error(rq, db);
    }
    gw_jobs_announce(rq->gw, sub->n);
    sub->ids = calloc(sub->n, sizeof *sub->ids);
    sub->created = calloc(sub->n, sizeof *sub->created);
    if (!sub->ids || !sub->created) {
        PQclear(r);
        return gw_reply_internal(rq, "out of memory");
    }
    for (size_t i = 0; i < sub->n; i++) {
        snprintf(sub->ids[i], sizeof sub->ids[i], "%s", PQgetvalue(r, (int)i, 0));
        gw_timestamp_iso(PQgetvalue(r, (int)i, 1), sub->created[i], sizeof sub->created[i]);
    }
    PQclear(r);
    return reply_committed(rq, sub);
}

enum gw_result gw_jobs_submit(struct gw_request *rq, json_t *jobs, bool batch)
{
    struct gw_ctx *gw = rq->gw;
    size_t n = json_array_size(jobs);
    const char *key = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (key && !idem_key_valid(key))
        return gw_reply_error(rq, 400, "invalid-header", "Invalid header", "Idempotency-Key",
                              "Idempotency-Key must be 1 to 200 printable ASCII characters");
    if (atomic_load(&gw->queue_depth) + (long)n > gw->cfg.max_queued) {
        gw_reply_header(rq, "Retry-After", "5");
        return gw_reply_error(rq, 503, "queue-full", "Queue full", "",
                              "the queue holds its maximum of %ld unfinished jobs; retry later",
                              gw->cfg.max_queued);
    }
    struct gw_submission *sub = calloc(1, sizeof *sub);
    if (sub)
        sub->in = calloc(n, sizeof *sub->in);
    if (!sub || !sub->in) {
        free(sub);
        return gw_reply_internal(rq, "out of memory");
    }
    rq->state = sub;
    rq->state_free = free_submission;
    sub->rq = rq;
    sub->batch = batch;
    snprintf(sub->tenant, sizeof sub->tenant, "%s", rq->who.tenant);
    sub->token_id = rq->who.token_id;
    struct gw_stored_problems problems;
    enum gw_result res;
    if (gw_problems_resolve(rq, jobs, &problems, &res))
        return res;
    for (size_t i = 0; i < n; i++) {
        struct gw_problem p;
        char prefix[32] = "";
        if (batch)
            snprintf(prefix, sizeof prefix, "jobs[%zu].", i);
        if (gw_job_parse_with(json_array_get(jobs, i), &gw->cfg, gw->catalog, &problems, prefix,
                              &sub->in[i], &p)) {
            gw_stored_problems_free(&problems);
            return gw_reply_problem(rq, &p);
        }
        sub->n = i + 1;
    }
    gw_stored_problems_free(&problems);
    if (key) { /* the fingerprint covers the whole request, canonically encoded */
        char *canon = json_dumps(jobs, JSON_COMPACT | JSON_SORT_KEYS);
        if (!canon)
            return gw_reply_internal(rq, "out of memory");
        jg_sha256_hex(canon, strlen(canon), sub->idem_hash);
        free(canon);
        sub->idem_key = key;
        return submit_idempotent(rq, sub);
    }
    gw_submitter_enqueue(gw->submitter, sub);
    return GW_SUSPENDED;
}
