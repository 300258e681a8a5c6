#include "jobs_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/catalog.h"
#include "jobs/job_json.h"
#include "jobs/job_spec.h"
#include "metrics.h"
#include "queue/events.h"
#include "sha256.h"

/* The job as just created, from what was validated (no second round trip). */
static json_t *created_json(const struct gw_job_input *in, const char *id, const char *created)
{
    char iso[48];
    gw_timestamp_iso(created, iso, sizeof iso);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:o, s:o, s:n, s:s, s:n, s:n}", "id",
                     id, "status", "queued", "runtime", in->runtime, "kind",
                     gw_kind_name(in->kind), "priority", (json_int_t)in->priority,
                     "max_attempts", (json_int_t)in->max_attempts, "attempts", 0, "labels",
                     json_loads(in->labels_text, 0, NULL), "limits",
                     json_loads(in->limits_text, 0, NULL), "verdict", "created_at", iso,
                     "started_at", "finished_at");
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
static enum gw_result replay(struct gw_request *rq, struct db_conn *db, json_t *keys_json,
                             const char *idem_hash, size_t n, bool batch)
{
    struct jg_buf keys;
    jg_buf_init(&keys, 1 << 20);
    int rc = jg_buf_append(&keys, "{", 1);
    size_t i;
    json_t *k;
    json_array_foreach(keys_json, i, k) rc |= gw_pg_array_add(&keys, json_string_value(k), i == 0);
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
    bool same = (size_t)rows == n;
    for (int row = 0; row < rows && same; row++)
        same = strcmp(PQgetvalue(r, row, JC_NCOLS), idem_hash) == 0;
    if (!same) {
        PQclear(r);
        return gw_reply_error(rq, 409, "idempotency-conflict", "Idempotency key reused", "",
                              "this Idempotency-Key was used with a different request body");
    }
    json_t *list = json_array();
    for (int row = 0; row < rows; row++)
        json_array_append_new(list, gw_job_row_to_json(r, row, true));
    PQclear(r);
    gw_reply_header(rq, "Idempotent-Replayed", "true");
    if (batch)
        return gw_reply_json(rq, 201, json_pack("{s:o}", "jobs", list));
    json_t *job = json_incref(json_array_get(list, 0));
    json_decref(list);
    snprintf(rq->header_value, sizeof rq->header_value, "/jobs/%s",
             json_string_value(json_object_get(job, "id")));
    gw_reply_header(rq, "Location", rq->header_value);
    return gw_reply_json(rq, 201, job);
}

enum gw_result gw_jobs_submit(struct gw_request *rq, json_t *jobs, bool batch)
{
    struct gw_ctx *gw = rq->gw;
    size_t n = json_array_size(jobs);
    enum gw_result res;
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
    struct gw_job_input *in = calloc(n, sizeof *in);
    struct jg_buf a[9];
    int rc = 0;
    for (int i = 0; i < 9; i++) {
        jg_buf_init(&a[i], (size_t)1 << 31);
        rc |= jg_buf_append(&a[i], "{", 1);
    }
    json_t *keys = json_array();
    char idem_hash[65] = "";
    if (!in || !keys) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    if (key) { /* the fingerprint covers the whole request, canonically encoded */
        char *canon = json_dumps(jobs, JSON_COMPACT | JSON_SORT_KEYS);
        if (!canon) {
            res = gw_reply_internal(rq, "out of memory");
            goto out;
        }
        jg_sha256_hex(canon, strlen(canon), idem_hash);
        free(canon);
    }
    for (size_t i = 0; i < n; i++) {
        struct gw_problem p;
        char prefix[32] = "";
        if (batch)
            snprintf(prefix, sizeof prefix, "jobs[%zu].", i);
        if (gw_job_parse(json_array_get(jobs, i), &gw->cfg, gw->catalog, prefix, &in[i], &p)) {
            res = gw_reply_problem(rq, &p);
            goto out;
        }
        char prio[24], ma[24], idem[256];
        snprintf(prio, sizeof prio, "%ld", in[i].priority);
        snprintf(ma, sizeof ma, "%ld", in[i].max_attempts);
        if (key) {
            if (batch)
                snprintf(idem, sizeof idem, "%s#%zu", key, i);
            else
                snprintf(idem, sizeof idem, "%s", key);
            json_array_append_new(keys, json_string(idem));
        }
        const char *vals[9] = {in[i].runtime, gw_kind_name(in[i].kind), prio, ma, in[i].labels_text,
                               key ? idem : NULL, key ? idem_hash : NULL, in[i].spec_text,
                               in[i].limits_text};
        for (int c = 0; c < 9; c++)
            rc |= gw_pg_array_add(&a[c], vals[c], i == 0);
    }
    for (int c = 0; c < 9; c++)
        rc |= jg_buf_append(&a[c], "}", 1);
    if (rc) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    struct db_conn *db = gw_db(rq);
    char token_id[24];
    snprintf(token_id, sizeof token_id, "%lld", rq->who.token_id);
    const char *params[11] = {rq->who.tenant, token_id};
    for (int c = 0; c < 9; c++)
        params[2 + c] = a[c].data;
    bool tx = key && n > 1; /* all-or-nothing replay check needs the insert held back */
    if (tx && db_command(db, "BEGIN")) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    PGresult *r = db_exec(db, STMT_JOBS_INSERT, 11, params);
    if (!r) {
        if (tx)
            db_command(db, "ROLLBACK");
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    size_t rows = (size_t)PQntuples(r);
    if (rows != n) { /* idempotency: some or all keys existed */
        PQclear(r);
        if (tx)
            db_command(db, "ROLLBACK");
        if (rows != 0 && !tx) {
            res = gw_reply_internal(rq, "partial insert without a transaction");
            goto out;
        }
        res = replay(rq, db, keys, idem_hash, n, batch);
        goto out;
    }
    if (tx && db_command(db, "COMMIT")) {
        PQclear(r);
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    atomic_fetch_add(&gw->queue_depth, (long)n);
    gw_metrics_add(GW_JOBS_SUBMITTED, (long)n);
    gw_events_jobs_queued(gw->events);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, created_json(&in[i], PQgetvalue(r, (int)i, 0),
                                                 PQgetvalue(r, (int)i, 1)));
    PQclear(r);
    if (batch) {
        res = gw_reply_json(rq, 201, json_pack("{s:o}", "jobs", list));
    } else {
        json_t *job = json_incref(json_array_get(list, 0));
        json_decref(list);
        snprintf(rq->header_value, sizeof rq->header_value, "/jobs/%s",
                 json_string_value(json_object_get(job, "id")));
        gw_reply_header(rq, "Location", rq->header_value);
        res = gw_reply_json(rq, 201, job);
    }
out:
    if (in)
        for (size_t i = 0; i < n; i++)
            gw_job_input_free(&in[i]);
    free(in);
    for (int i = 0; i < 9; i++)
        jg_buf_free(&a[i]);
    json_decref(keys);
    return res;
}
