/* GET /problems/<name> (admin): the stored problem — tests by hash and size (never the data, whose
 * hashes alone would let a client confirm a guessed answer), checker, limits, scoring, version. */
#include "problems.h"

enum gw_result gw_handle_problems_get(struct gw_request *rq)
{
    if (!gw_problem_name_valid(rq->param))
        return gw_reply_error(rq, 404, "not-found", "Not found", "name", "no such problem");
    struct jg_buf names;
    jg_buf_init(&names, 1024);
    if (jg_buf_append(&names, "{", 1) | gw_pg_array_add(&names, rq->param, true) |
        jg_buf_append(&names, "}", 1)) {
        jg_buf_free(&names);
        return gw_reply_internal(rq, "out of memory");
    }
    struct db_conn *db = gw_db(rq);
    const char *params[] = {names.data};
    PGresult *r = db_exec(db, STMT_PROBLEMS_GET, 1, params);
    jg_buf_free(&names);
    if (!r)
        return gw_reply_db_error(rq, db);
    if (PQntuples(r) != 1) {
        PQclear(r);
        return gw_reply_error(rq, 404, "not-found", "Not found", "name", "no such problem");
    }
    json_t *doc = gw_problem_row_to_json(r, 0);
    PQclear(r);
    return gw_reply_json(rq, 200, doc);
}
