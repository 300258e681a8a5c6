/*
 * POST /jobs/wait {"ids": [...], "timeout": seconds}: one long-poll for many jobs (what an SDK
 * holding thousands of futures needs). Answers as soon as at least one of the jobs has ended —
 * at once if one already has — or when the timeout passes, with the ended jobs (results
 * included), the ids still pending, and the ids that are not the caller's or do not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "handlers.h"
#include "jobs/job_json.h"
#include "queue/waiters.h"

struct wait_state {
    struct gw_wait_group *group;
    char (*ids)[37]; /* the distinct ids asked for, lower case, sorted */
    size_t n;
};

static void free_state(struct gw_request *rq)
{
    struct wait_state *st = rq->state;
    if (st) {
        gw_wait_group_free(rq->gw->waiters, st->group);
        free(st->ids);
        free(st);
    }
    rq->state = NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* A result row's position, found by id (rows sorted by id). */
struct row_ref {
    const char *id;
    int row;
};

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const struct row_ref *)a)->id, ((const struct row_ref *)b)->id);
}

/* Read the jobs; answer unless none has ended and the request may still wait. */
static enum gw_result look(struct gw_request *rq, struct wait_state *st, bool may_wait)
{
    struct jg_buf arr;
    jg_buf_init(&arr, 1 << 20);
    int rc = jg_buf_append(&arr, "{", 1);
    for (size_t i = 0; i < st->n; i++)
        rc |= jg_buf_printf(&arr, "%s%s", i ? "," : "", st->ids[i]);
    rc |= jg_buf_append(&arr, "}", 1);
    if (rc) {
        jg_buf_free(&arr);
        return gw_reply_internal(rq, "out of memory");
    }
    struct db_conn *db = gw_db(rq);
    const char *params[] = {arr.data, gw_tenant_filter(rq)};
    PGresult *r = db_exec(db, STMT_JOBS_GET_MANY, 2, params);
    jg_buf_free(&arr);
    if (!r)
        return gw_reply_db_error(rq, db);
    int rows = PQntuples(r);
    struct row_ref *refs = calloc((size_t)rows + 1, sizeof *refs);
    if (!refs) {
        PQclear(r);
        return gw_reply_internal(rq, "out of memory");
    }
    for (int row = 0; row < rows; row++)
        refs[row] = (struct row_ref){PQgetvalue(r, row, JC_PUBLIC_ID), row};
    qsort(refs, (size_t)rows, sizeof *refs, cmp_row);
    json_t *ended = json_array(), *pending = json_array(), *missing = json_array();
    for (size_t i = 0; i < st->n; i++) {
        struct row_ref key = {st->ids[i], 0};
        const struct row_ref *hit = bsearch(&key, refs, (size_t)rows, sizeof *refs, cmp_row);
        if (!hit)
            json_array_append_new(missing, json_string(st->ids[i]));
        else if (gw_job_finished(PQgetvalue(r, hit->row, JC_STATUS)))
            json_array_append_new(ended, gw_job_row_to_json(r, hit->row, true));
        else
            json_array_append_new(pending, json_string(st->ids[i]));
    }
    free(refs);
    PQclear(r);
    if (may_wait && st->group && json_array_size(ended) == 0 && json_array_size(pending) > 0 &&
        !atomic_load(&rq->gw->stopping) && gw_wait_suspend(rq->gw->waiters, st->group)) {
        json_decref(ended);
        json_decref(pending);
        json_decref(missing);
        return GW_SUSPENDED;
    }
    if (st->group)
        gw_wait_cancel(rq->gw->waiters, st->group);
    return gw_reply_json(rq, 200, json_pack("{s:o, s:o, s:o}", "jobs", ended, "pending", pending,
                                            "missing", missing));
}

enum gw_result gw_handle_jobs_wait(struct gw_request *rq)
{
    static const char *const fields[] = {"ids", "timeout", NULL};
    if (rq->resumed && rq->state)
        return look(rq, rq->state, false);
    struct gw_problem p;
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    double timeout = 0;
    const json_t *ids = json_object_get(root, "ids");
    if (!json_is_object(root)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "",
                             "the body must be an object {\"ids\": [...], \"timeout\": seconds}");
        goto out;
    }
    if (gw_only_fields(root, fields, "", &p) ||
        gw_field_number(root, "timeout", 0, 1e9, &timeout, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (!json_is_array(ids) || json_array_size(ids) == 0 ||
        (long)json_array_size(ids) > rq->gw->cfg.max_batch) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "ids",
                             "ids must be an array of 1 to %ld job ids", rq->gw->cfg.max_batch);
        goto out;
    }
    struct wait_state *st = calloc(1, sizeof *st);
    if (st)
        st->ids = calloc(json_array_size(ids), sizeof *st->ids);
    if (!st || !st->ids) {
        free(st);
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    rq->state = st;
    rq->state_free = free_state;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_string(v) || !gw_job_id_valid(json_string_value(v), st->ids[i])) {
            char f[32];
            snprintf(f, sizeof f, "ids[%zu]", i);
            res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", f,
                                 "%s must be a job id (a UUID)", f);
            goto out;
        }
    }
    /* Sorted and without duplicates: each id counts once, and lookups are binary searches. */
    qsort(st->ids, json_array_size(ids), sizeof *st->ids, cmp_id);
    for (i = 0; i < json_array_size(ids); i++)
        if (st->n == 0 || strcmp(st->ids[st->n - 1], st->ids[i]) != 0)
            memmove(st->ids[st->n++], st->ids[i], sizeof *st->ids);
    long ms = gw_wait_ms(rq, timeout);
    if (ms > 0) {
        st->group = gw_wait_group_new(rq, st->n, ms);
        if (!st->group) {
            res = gw_reply_internal(rq, "out of memory");
            goto out;
        }
        for (i = 0; i < st->n; i++)
            memcpy(st->group->waits[i].id, st->ids[i], sizeof st->ids[i]);
        gw_wait_register(rq->gw->waiters, st->group);
    }
    res = look(rq, st, ms > 0);
out:
    json_decref(root);
    return res;
}
