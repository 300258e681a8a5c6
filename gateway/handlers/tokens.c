/* Admin token management: GET /admin/tokens, POST /admin/tokens, DELETE /admin/tokens/<id>. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "http/auth.h"
#include "jobs/job_json.h"
#include "queue/events.h"
#include "tokens.h"

static json_t *ts(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    char iso[48];
    gw_timestamp_iso(PQgetvalue(r, row, col), iso, sizeof iso);
    return json_string(iso);
}

enum gw_result gw_handle_tokens_list(struct gw_request *rq)
{
    struct db_conn *db = gw_db(rq);
    PGresult *r = db_exec(db, STMT_TOKEN_LIST, 0, NULL);
    if (!r)
        return gw_reply_db_error(rq, db);
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)db_ll(r, i, 0),
                            "name", PQgetvalue(r, i, 1), "tenant", PQgetvalue(r, i, 2), "role",
                            PQgetvalue(r, i, 3), "prefix", PQgetvalue(r, i, 4), "created_at",
                            ts(r, i, 5), "revoked_at", ts(r, i, 6)));
    PQclear(r);
    return gw_reply_json(rq, 200, json_pack("{s:o}", "tokens", list));
}

enum gw_result gw_handle_tokens_create(struct gw_request *rq)
{
    static const char *const fields[] = {"role", "name", "tenant", NULL};
    struct gw_problem p;
    json_t *root = gw_parse_body(rq, &p);
    if (!root)
        return gw_reply_problem(rq, &p);
    const char *role = NULL, *name = NULL, *tenant = NULL;
    enum gw_result res;
    if (!json_is_object(root)) {
        res = gw_reply_error(rq, 422, "invalid-field", "Invalid field", "",
                             "the body must be an object");
        goto out;
    }
    if (gw_only_fields(root, fields, "", &p) || gw_field_string(root, "role", true, &role, &p) ||
        gw_field_string(root, "name", true, &name, &p) ||
        gw_field_string(root, "tenant", false, &tenant, &p)) {
        res = gw_reply_problem(rq, &p);
        goto out;
    }
    struct gw_new_token t;
    int rc = gw_token_create(gw_db(rq), role, name, tenant, &t, &p);
    if (rc) {
        res = rc == -EIO ? gw_reply_db_error(rq, gw_db(rq)) : gw_reply_problem(rq, &p);
        goto out;
    }
    res = gw_reply_json(rq, 201,
                        json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)t.id, "name",
                                  name, "tenant", t.tenant, "role", role, "token", t.secret));
    memset(t.secret, 0, sizeof t.secret);
out:
    json_decref(root);
    return res;
}

enum gw_result gw_handle_tokens_revoke(struct gw_request *rq)
{
    char *end;
    errno = 0;
    long long id = strtoll(rq->param, &end, 10);
    if (errno || *end || id <= 0)
        return gw_reply_error(rq, 404, "not-found", "Not found", "id", "no such token");
    struct db_conn *db = gw_db(rq);
    const char *params[] = {rq->param};
    PGresult *r = db_exec(db, STMT_TOKEN_REVOKE, 1, params);
    if (!r)
        return gw_reply_db_error(rq, db);
    bool revoked = PQntuples(r) == 1;
    PQclear(r);
    if (!revoked)
        return gw_reply_error(rq, 404, "not-found", "Not found", "id",
                              "no such token, or it was already revoked");
    gw_events_token_revoked(rq->gw->events);
    return gw_reply_json(rq, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "revoked", 1));
}
