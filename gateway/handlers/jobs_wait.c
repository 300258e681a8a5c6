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
    json_t *ids; /* the distinct ids asked for, lower case */
};

static void free_state(struct gw_request *rq)
{
    struct wait_state *st = rq->state;
    if (st) {
        gw_wait_group_free(rq->gw->waiters, st->group);
        json_decref(st->ids);
        free(st);
    }
    rq->state = NULL;
}

/* Read the jobs; answer unless none has ended and the request may still wait. */
static enum gw_result look(struct gw_request *rq, struct wait_state *st, bool may_wait)
{
    struct jg_buf arr;
    jg_buf_init(&arr, 1 << 20);
    int rc = jg_buf_append(&arr, "{", 1);
    size_t i;
    json_t *id;
    json_array_foreach(st->ids, i, id) rc |= jg_buf_printf(&arr, "%s%s", i ? "," : "",
                                                           json_string_value(id));
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
    json_t *ended = json_array(), *pending = json_array(), *missing = json_array();
    json_array_foreach(st->ids, i, id)
    {
        int row = 0, rows = PQntuples(r);
        while (row < rows && strcmp(PQgetvalue(r, row, JC_PUBLIC_ID), json_string_value(id)))
            row++;
        if (row == rows)
            json_array_append(missing, id);
        else if (gw_job_finished(PQgetvalue(r, row, JC_STATUS)))
            json_array_append_new(ended, gw_job_row_to_json(r, row, true));
        else
            json_array_append(pending, id);
    }
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
    if (!st || !(st->ids = json_array())) {
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
        char id[37];
        if (!json_is_string(v) || !gw_job_id_valid(json_string_value(v), id)) {
            char f[32];
            snprintf(f, sizeof f, "ids[%zu]", i);
            res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", f,
                                 "%s must be a job id (a UUID)", f);
            goto out;
        }
        size_t k;
        json_t *seen;
        bool dup = false;
        json_array_foreach(st->ids, k, seen) dup = dup || strcmp(json_string_value(seen), id) == 0;
        if (!dup)
            json_array_append_new(st->ids, json_string(id));
    }
    long ms = gw_wait_ms(rq, timeout);
    if (ms > 0) {
        st->group = gw_wait_group_new(rq, json_array_size(st->ids), ms);
        if (!st->group) {
            res = gw_reply_internal(rq, "out of memory");
            goto out;
        }
        json_array_foreach(st->ids, i, v)
            snprintf(st->group->waits[i].id, sizeof st->group->waits[i].id, "%s",
                     json_string_value(v));
        gw_wait_register(rq->gw->waiters, st->group);
    }
    res = look(rq, st, ms > 0);
out:
    json_decref(root);
    return res;
}
