#include "executor_leases.h"

#include <stdio.h>

#include "jobs/job_json.h"

int gw_lease_list_parse(const json_t *root, struct gw_lease_list *out, struct gw_problem *p)
{
    static const char *const fields[] = {"executor_id", "leases", NULL};
    jg_buf_init(&out->ids, 1 << 20);
    jg_buf_init(&out->leases, 1 << 20);
    out->n = 0;
    const char *eid = NULL;
    if (!json_is_object(root))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "", "the body must be an object");
    if (gw_only_fields(root, fields, "", p) ||
        gw_field_string(root, "executor_id", true, &eid, p))
        return -1;
    if (!gw_job_id_valid(eid, out->executor_id))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "executor_id",
                       "executor_id must be a UUID");
    const json_t *leases = json_object_get(root, "leases");
    if (!json_is_array(leases) || json_array_size(leases) > 4096)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "leases",
                       "leases must be an array of at most 4096 {job_id, lease} objects");
    int rc = jg_buf_append(&out->ids, "{", 1) | jg_buf_append(&out->leases, "{", 1);
    size_t i;
    json_t *l;
    json_array_foreach(leases, i, l)
    {
        static const char *const lf[] = {"job_id", "lease", NULL};
        char prefix[32], jid[37], tok[37];
        snprintf(prefix, sizeof prefix, "leases[%zu].", i);
        const json_t *j = json_object_get(l, "job_id"), *t = json_object_get(l, "lease");
        if (!json_is_object(l) || gw_only_fields(l, lf, prefix, p) || !json_is_string(j) ||
            !json_is_string(t) || !gw_job_id_valid(json_string_value(j), jid) ||
            !gw_job_id_valid(json_string_value(t), tok)) {
            char f[48];
            snprintf(f, sizeof f, "leases[%zu]", i);
            return gw_fail(p, 422, "invalid-field", "Invalid field", f,
                           "%s must be {\"job_id\": UUID, \"lease\": UUID}", f);
        }
        rc |= jg_buf_printf(&out->ids, "%s%s", i ? "," : "", jid);
        rc |= jg_buf_printf(&out->leases, "%s%s", i ? "," : "", tok);
    }
    rc |= jg_buf_append(&out->ids, "}", 1) | jg_buf_append(&out->leases, "}", 1);
    out->n = json_array_size(leases);
    if (rc)
        return gw_fail(p, 413, "payload-too-large", "Payload too large", "leases",
                       "too many leases");
    return 0;
}

void gw_lease_list_free(struct gw_lease_list *l)
{
    jg_buf_free(&l->ids);
    jg_buf_free(&l->leases);
}

int gw_executor_check(struct gw_request *rq, const char *executor_id, enum gw_result *res)
{
    struct db_conn *db = gw_db(rq);
    char tok[24];
    snprintf(tok, sizeof tok, "%lld", rq->who.token_id);
    const char *params[] = {executor_id, tok};
    PGresult *r = db_exec(db, STMT_EXECUTOR_SEEN, 2, params);
    if (!r) {
        *res = gw_reply_db_error(rq, db);
        return -1;
    }
    bool known = PQntuples(r) == 1;
    PQclear(r);
    if (!known) {
        *res = gw_reply_error(rq, 404, "unknown-executor", "Unknown executor", "executor_id",
                              "no executor with this id leased with this token");
        return -1;
    }
    return 0;
}
