/* PUT /jobs/<id>/progress: the executor running a judged job reports the tests finished so far;
 * GET /jobs/<id> shows them while the job runs. Fenced by the lease like a result: only the
 * current holder writes, and a rescued job's old progress is never shown (db/README.md). The rows
 * live in job_progress, beside the queue, and go with the queue row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "jobs/job_json.h"

static int validate(const json_t *root, const char **lease, json_int_t *done, json_int_t *total,
                    long max_tests, struct gw_problem *p)
{
    static const char *const fields[] = {"lease", "done", "total", "tests", NULL};
    if (!json_is_object(root))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "", "the body must be an object");
    *done = -1;
    *total = -1;
    if (gw_only_fields(root, fields, "", p) || gw_field_string(root, "lease", true, lease, p) ||
        gw_field_int(root, "done", 0, max_tests, done, p) ||
        gw_field_int(root, "total", 0, max_tests, total, p))
        return -1;
    char tok[37];
    if (!gw_job_id_valid(*lease, tok))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "lease", "lease must be a UUID");
    if (*done < 0 || *total < 0 || *done > *total)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "done",
                       "done and total are required, with done <= total");
    const json_t *tests = json_object_get(root, "tests");
    if (!json_is_array(tests) || (json_int_t)json_array_size(tests) > *total)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "tests",
                       "tests must be an array of at most total test records");
    size_t i;
    const json_t *t;
    json_array_foreach(tests, i, t)
    {
        if (!json_is_object(t) || !json_is_integer(json_object_get(t, "index")) ||
            !json_is_string(json_object_get(t, "verdict")))
            return gw_fail(p, 422, "invalid-field", "Invalid field", "tests",
                           "tests[%zu] must be an object with index and verdict", i);
    }
    return 0;
}

enum gw_result gw_handle_job_progress(struct gw_request *rq)
{
    char id[37];
    if (!gw_job_id_valid(rq->param, id))
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    struct gw_problem p = {0};
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    enum gw_result res;
    const char *lease = NULL;
    json_int_t done, total;
    char *tests = NULL;
    if (validate(root, &lease, &done, &total, rq->gw->cfg.max_tests, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    tests = json_dumps(json_object_get(root, "tests"), JSON_COMPACT);
    if (!tests) {
        res = gw_reply_internal(rq, "out of memory");
        goto out;
    }
    char tok[37], d[24], t[24];
    gw_job_id_valid(lease, tok);
    snprintf(d, sizeof d, "%lld", (long long)done);
    snprintf(t, sizeof t, "%lld", (long long)total);
    struct db_conn *db = gw_db(rq);
    const char *params[] = {id, tok, d, t, tests};
    PGresult *r = db_exec(db, STMT_PROGRESS_PUT, 5, params);
    if (!r) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    bool recorded = PQntuples(r) == 1;
    PQclear(r);
    if (recorded) {
        res = gw_reply_json(rq, 200, json_pack("{s:s, s:b}", "id", id, "recorded", 1));
        goto out;
    }
    const char *q[] = {id, NULL};
    r = db_exec(db, STMT_JOB_STATE, 2, q);
    if (!r) {
        res = gw_reply_db_error(rq, db);
        goto out;
    }
    if (PQntuples(r) == 0)
        res = gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such job");
    else
        res = gw_reply_error(rq, 409, "stale-lease", "Stale lease", "lease",
                             "this lease is no longer current (the job is now %s); the progress "
                             "was not recorded",
                             PQgetvalue(r, 0, 0));
    PQclear(r);
out:
    free(tests);
    json_decref(root);
    return res;
}

int gw_job_add_progress(struct gw_request *rq, const PGresult *r, int row, json_t *job)
{
    if (strcmp(PQgetvalue(r, row, JC_STATUS), "running") != 0)
        return 0;
    struct db_conn *db = gw_db(rq);
    const char *params[] = {PQgetvalue(r, row, JC_INTERNAL_ID)};
    PGresult *pr = db_exec(db, STMT_PROGRESS_GET, 1, params);
    if (!pr)
        return -1;
    if (PQntuples(pr) == 1) {
        json_t *tests = json_loads(PQgetvalue(pr, 0, 2), 0, NULL);
        json_object_set_new(job, "tests", json_is_array(tests) ? tests : json_array());
        if (!json_is_array(tests))
            json_decref(tests);
        json_object_set_new(job, "progress",
                            json_pack("{s:I, s:I}", "done", (json_int_t)db_ll(pr, 0, 0), "total",
                                      (json_int_t)db_ll(pr, 0, 1)));
    }
    PQclear(pr);
    return 0;
}
