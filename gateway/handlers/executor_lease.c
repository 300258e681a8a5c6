/* POST /executor/lease: an executor long-polls for up to max_jobs jobs of its runtimes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "handlers.h"
#include "jobs/catalog.h"
#include "jobs/job_json.h"
#include "queue/dispatcher.h"

static void free_lease_wait(struct gw_request *rq)
{
    struct gw_lease_wait *w = rq->state;
    if (w)
        free(w->body);
    free(w);
    rq->state = NULL;
}

/* The parked request is back: answer with what the dispatcher claimed for it. */
static enum gw_result answer(struct gw_request *rq, struct gw_lease_wait *w)
{
    if (w->body) {
        char *body = w->body;
        w->body = NULL;
        enum gw_result res = gw_reply_text(rq, 200, "application/json", body, w->body_len);
        free(body);
        return res;
    }
    if (w->db_down)
        return gw_reply_db_unavailable(rq);
    return gw_reply_json(rq, 200,
                         json_pack("{s:[], s:I}", "jobs", "lease_ttl_ms", (json_int_t)w->lease_ms));
}

enum gw_result gw_handle_executor_lease(struct gw_request *rq)
{
    static const char *const fields[] = {"executor_id", "name", "runtimes", "slots", "max_jobs",
                                         "wait", "runtime_info", NULL};
    if (rq->resumed && rq->state)
        return answer(rq, rq->state);
    struct gw_problem p;
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    const char *eid = NULL, *name = NULL;
    json_t *runtimes = NULL;
    json_int_t slots = 1, max_jobs = 1;
    double wait = 0;
    char id[37];
    if (!json_is_object(root) || gw_only_fields(root, fields, "", &p)) {
        if (!json_is_object(root))
            gw_fail(&p, 422, "invalid-field", "Invalid field", "", "the body must be an object");
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    if (gw_field_string(root, "executor_id", true, &eid, &p) ||
        gw_field_string(root, "name", true, &name, &p) ||
        gw_field_int(root, "slots", 1, 4096, &slots, &p) ||
        gw_field_int(root, "max_jobs", 1, 256, &max_jobs, &p) ||
        gw_field_number(root, "wait", 0, 1e6, &wait, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    runtimes = json_object_get(root, "runtimes");
    if (!gw_job_id_valid(eid, id)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "executor_id",
                             "executor_id must be a UUID");
        goto out;
    }
    if (strlen(name) == 0 || strlen(name) > 128) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "name",
                             "name must be 1 to 128 bytes");
        goto out;
    }
    if (!json_is_array(runtimes) || json_array_size(runtimes) == 0 ||
        json_array_size(runtimes) > 32) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "runtimes",
                             "runtimes must be an array of 1 to 32 runtime names");
        goto out;
    }
    struct jg_buf rts;
    jg_buf_init(&rts, 1000);
    int rc = jg_buf_append(&rts, "{", 1);
    size_t i;
    json_t *rt;
    json_array_foreach(runtimes, i, rt)
    {
        if (!json_is_string(rt) || !gw_catalog_find(rq->gw->catalog, json_string_value(rt))) {
            jg_buf_free(&rts);
            char f[32];
            snprintf(f, sizeof f, "runtimes[%zu]", i);
            res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", f,
                                 "%s is not a runtime of this gateway's catalog", f);
            goto out;
        }
        rc |= gw_pg_array_add(&rts, json_string_value(rt), i == 0);
    }
    rc |= jg_buf_append(&rts, "}", 1);
    if (rc) {
        jg_buf_free(&rts);
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "runtimes",
                             "runtimes is too long");
        goto out;
    }
    if (gw_runtime_info_check(json_object_get(root, "runtime_info"), &p)) {
        jg_buf_free(&rts);
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    struct db_conn *db = gw_db(rq);
    char tok[24], sl[24];
    snprintf(tok, sizeof tok, "%lld", rq->who.token_id);
    snprintf(sl, sizeof sl, "%lld", (long long)slots);
    const char *params[] = {id, name, tok, rts.data, sl};
    PGresult *r = db_exec(db, STMT_EXECUTOR_UPSERT, 5, params);
    if (!r) {
        jg_buf_free(&rts);
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    bool mine = PQntuples(r) == 1;
    PQclear(r);
    if (!mine) {
        jg_buf_free(&rts);
        res = gw_reply_error(rq, 409, "executor-conflict", "Executor id in use", "executor_id",
                             "this executor_id belongs to another token");
        goto out;
    }
    if (json_object_get(root, "runtime_info") &&
        gw_runtime_info_store(rq, id, json_object_get(root, "runtime_info"), &res)) {
        jg_buf_free(&rts);
        goto out;
    }
    struct gw_lease_wait *w = calloc(1, sizeof *w);
    if (!w) {
        jg_buf_free(&rts);
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    w->rq = rq;
    memcpy(w->executor_id, id, sizeof id);
    memcpy(w->runtimes, rts.data, rts.len + 1);
    jg_buf_free(&rts);
    w->max_jobs = (int)max_jobs;
    w->lease_ms = rq->gw->cfg.lease_ttl_ms;
    w->deadline = jg_deadline_ms(gw_wait_ms(rq, wait));
    rq->state = w;
    rq->state_free = free_lease_wait;
    if (atomic_load(&rq->gw->stopping)) { /* shutting down: no new work */
        res = answer(rq, w);
        goto out;
    }
    gw_dispatcher_park(rq->gw->dispatcher, w);
    res = GW_SUSPENDED;
out:
    json_decref(root);
    return res;
}
