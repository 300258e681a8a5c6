/*
 * POST /executor/results {"executor_id", "results": [{"job_id", "lease", "status", ...}, ...]}:
 * many outcomes in one statement and one commit, each fenced by its lease exactly as
 * PUT /jobs/<id>/result is. One invalid element refuses the request (422 naming results[i]); the
 * answer says, per job, whether it is recorded (now, or earlier under the same lease) or refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "executor_leases.h"
#include "jobs/job_json.h"
#include "jobs/outcome.h"
#include "metrics.h"
#include "queue/events.h"

#define MAX_RESULTS 256

struct item {
    char id[37];
    struct gw_outcome o;
};

/* Parse the elements; on failure @p p names results[i]. Returns the count or -1. */
static long parse_items(const json_t *results, struct item *items, struct gw_problem *p)
{
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r)
    {
        const json_t *jid = json_object_get(r, "job_id");
        if (!json_is_object(r) || !json_is_string(jid) ||
            !gw_job_id_valid(json_string_value(jid), items[i].id)) {
            char f[40];
            snprintf(f, sizeof f, "results[%zu].job_id", i);
            return gw_fail(p, 422, "invalid-field", "Invalid field", f,
                           "%s is required and must be a job id (a UUID)", f);
        }
        if (gw_outcome_parse(r, "job_id", &items[i].o, p)) {
            char f[sizeof p->field + 32];
            snprintf(f, sizeof f, "results[%zu]%s%s", i, p->field[0] ? "." : "", p->field);
            size_t len = strlen(f) < sizeof p->field ? strlen(f) : sizeof p->field - 1;
            memcpy(p->field, f, len);
            p->field[len] = '\0';
            return -1;
        }
    }
    return (long)json_array_size(results);
}

/* Parallel PostgreSQL arrays of the five columns. */
static int build_arrays(struct jg_buf a[5], const struct item *items, long n)
{
    int rc = 0;
    for (int c = 0; c < 5; c++) {
        jg_buf_init(&a[c], (size_t)1 << 31);
        rc |= jg_buf_append(&a[c], "{", 1);
    }
    for (long i = 0; i < n && !rc; i++) {
        const struct gw_outcome *o = &items[i].o;
        const char *v[5] = {items[i].id, o->lease, o->status, o->verdict[0] ? o->verdict : NULL,
                            o->doc};
        for (int c = 0; c < 5; c++)
            rc |= gw_pg_array_add(&a[c], v[c], i == 0);
    }
    for (int c = 0; c < 5; c++)
        rc |= jg_buf_append(&a[c], "}", 1);
    return rc;
}

enum gw_result gw_handle_executor_results(struct gw_request *rq)
{
    static const char *const fields[] = {"executor_id", "results", NULL};
    struct gw_problem p = {0};
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    struct item *items = NULL;
    long n = 0;
    struct jg_buf a[5] = {0};
    const char *eid = NULL;
    char executor_id[37];
    const json_t *results = json_object_get(root, "results");
    if (!json_is_object(root)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "",
                             "the body must be an object");
        goto out;
    }
    if (gw_only_fields(root, fields, "", &p) ||
        gw_field_string(root, "executor_id", true, &eid, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (!gw_job_id_valid(eid, executor_id)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "executor_id",
                             "executor_id must be a UUID");
        goto out;
    }
    if (!json_is_array(results) || json_array_size(results) == 0 ||
        json_array_size(results) > MAX_RESULTS) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "results",
                             "results must be an array of 1 to %d outcomes", MAX_RESULTS);
        goto out;
    }
    items = calloc(json_array_size(results), sizeof *items);
    if (!items) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    n = parse_items(results, items, &p);
    if (n < 0) {
        n = (long)json_array_size(results);
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (gw_executor_check(rq, executor_id, &res))
        goto out;
    if (build_arrays(a, items, n)) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    struct db_conn *db = gw_db(rq);
    const char *params[5] = {a[0].data, a[1].data, a[2].data, a[3].data, a[4].data};
    PGresult *r = db_exec(db, STMT_JOBS_COMPLETE_MANY, 5, params);
    if (!r) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    json_t *answers = json_array();
    for (long i = 0; i < n; i++) {
        bool recorded = false;
        for (int row = 0; row < PQntuples(r) && !recorded; row++)
            recorded = strcmp(PQgetvalue(r, row, 0), items[i].id) == 0;
        if (recorded) {
            atomic_fetch_sub(&rq->gw->queue_depth, 1);
            gw_metrics_add(strcmp(items[i].o.status, "completed") == 0 ? GW_JOBS_COMPLETED
                                                                       : GW_JOBS_FAILED,
                           1);
            gw_events_job_done(rq->gw->events, items[i].id);
            json_array_append_new(answers, json_pack("{s:s, s:b}", "job_id", items[i].id,
                                                     "recorded", 1));
            continue;
        }
        /* As for PUT /jobs/<id>/result: the same lease again is fine, anything else refused. */
        const char *q[] = {items[i].id, NULL};
        PGresult *st = db_exec(db, STMT_JOB_STATE, 2, q);
        if (!st) {
            PQclear(r);
            json_decref(answers);
            res = gw_reply_db_error(rq, db);
            goto out;
        }
        if (PQntuples(st) == 0) {
            json_array_append_new(answers, json_pack("{s:s, s:b, s:s}", "job_id", items[i].id,
                                                     "recorded", 0, "reason", "not-found"));
        } else if (!PQgetisnull(st, 0, 1) && strcmp(PQgetvalue(st, 0, 1), items[i].o.lease) == 0) {
            json_array_append_new(answers, json_pack("{s:s, s:b}", "job_id", items[i].id,
                                                     "recorded", 1));
        } else {
            gw_metrics_add(GW_RESULTS_REFUSED, 1);
            json_array_append_new(answers, json_pack("{s:s, s:b, s:s, s:s}", "job_id",
                                                     items[i].id, "recorded", 0, "reason",
                                                     "stale-lease", "status",
                                                     PQgetvalue(st, 0, 0)));
        }
        PQclear(st);
    }
    PQclear(r);
    res = gw_reply_json(rq, 200, json_pack("{s:o}", "results", answers));
out:
    for (long i = 0; items && i < n; i++)
        gw_outcome_free(&items[i].o);
    free(items);
    for (int c = 0; c < 5; c++)
        jg_buf_free(&a[c]);
    json_decref(root);
    return res;
}
