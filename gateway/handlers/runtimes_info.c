/* What executors run for each runtime — compiler or interpreter version, the fixed compile and run
 * commands — sent once with an executor's first lease ("runtime_info") and shown by GET /runtimes,
 * so a contest can state exactly which gcc judged its submissions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

int gw_runtime_info_check(const json_t *info, struct gw_problem *p)
{
    static const char *const fields[] = {"version", "compile", "run", NULL};
    if (!info)
        return 0;
    if (!json_is_object(info) || json_object_size(info) > 32)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "runtime_info",
                       "runtime_info must be an object of at most 32 runtimes");
    const char *rt;
    json_t *v;
    json_object_foreach((json_t *)info, rt, v)
    {
        char prefix[96];
        snprintf(prefix, sizeof prefix, "runtime_info.%.60s.", rt);
        if (!json_is_object(v))
            return gw_fail(p, 422, "invalid-field", "Invalid field", "runtime_info",
                           "runtime_info.%.60s must be an object {version, compile, run}", rt);
        if (gw_only_fields(v, fields, prefix, p))
            return -1;
        const char *key;
        json_t *s;
        json_object_foreach(v, key, s)
        {
            if (!json_is_string(s) || json_string_length(s) > 512)
                return gw_fail(p, 422, "invalid-field", "Invalid field", "runtime_info",
                               "%s%s must be a string of at most 512 bytes", prefix, key);
        }
    }
    return 0;
}

int gw_runtime_info_store(struct gw_request *rq, const char *executor_id, const json_t *info,
                          enum gw_result *res)
{
    char *text = json_dumps(info, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        *res = gw_reply_internal(rq, "out of memory");
        return -1;
    }
    char tok[24];
    snprintf(tok, sizeof tok, "%lld", rq->who.token_id);
    struct db_conn *db = gw_db(rq);
    const char *params[] = {executor_id, tok, text};
    PGresult *r = db_exec(db, STMT_EXECUTOR_RUNTIME_INFO, 3, params);
    free(text);
    if (!r) {
        *res = gw_reply_db_error(rq, db);
        return -1;
    }
    PQclear(r);
    return 0;
}
