/* Stored problems named by submitted jobs: one query for all the names of a request, before
 * validation (gw_job_parse_with), so that a job is pinned to the manifest current at submit. */
#include "problems.h"

#include <stdlib.h>
#include <string.h>

void gw_stored_problems_free(struct gw_stored_problems *set)
{
    for (size_t i = 0; i < set->n; i++)
        json_decref(set->items[i].limits);
    free(set->items);
    set->items = NULL;
    set->n = 0;
}

int gw_problems_resolve(struct gw_request *rq, const json_t *jobs, struct gw_stored_problems *out,
                        enum gw_result *res)
{
    memset(out, 0, sizeof *out);
    struct jg_buf names;
    jg_buf_init(&names, 1 << 20);
    int rc = jg_buf_append(&names, "{", 1);
    size_t i, count = 0;
    const json_t *job;
    json_array_foreach(jobs, i, job)
    {
        const json_t *name = json_object_get(job, "problem");
        if (json_is_string(name) && json_string_length(name) < sizeof out->items[0].name)
            rc |= gw_pg_array_add(&names, json_string_value(name), count++ == 0);
    }
    rc |= jg_buf_append(&names, "}", 1);
    if (count == 0 || rc) { /* nothing to look up (or a name list too long: validation says so) */
        jg_buf_free(&names);
        return 0;
    }
    struct db_conn *db = gw_db(rq);
    const char *params[] = {names.data};
    PGresult *r = db_exec(db, STMT_PROBLEMS_GET, 1, params);
    jg_buf_free(&names);
    if (!r) {
        *res = gw_reply_db_error(rq, db);
        return -1;
    }
    int rows = PQntuples(r);
    out->items = calloc((size_t)rows + 1, sizeof *out->items);
    if (!out->items) {
        PQclear(r);
        *res = gw_reply_internal(rq, "out of memory");
        return -1;
    }
    for (int row = 0; row < rows; row++) {
        struct gw_stored_problem *sp = &out->items[out->n++];
        snprintf(sp->name, sizeof sp->name, "%s", PQgetvalue(r, row, GW_PC_NAME));
        sp->version = (long)db_ll(r, row, GW_PC_VERSION);
        snprintf(sp->manifest, sizeof sp->manifest, "%s", PQgetvalue(r, row, GW_PC_MANIFEST));
        sp->limits = json_loads(PQgetvalue(r, row, GW_PC_LIMITS), 0, NULL);
    }
    PQclear(r);
    return 0;
}
