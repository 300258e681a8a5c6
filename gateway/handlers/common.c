#include <string.h>

#include "handlers.h"

struct db_conn *gw_db(struct gw_request *rq)
{
    return db_thread_conn(rq->gw->cfg.database_url);
}

enum gw_result gw_reply_db_error(struct gw_request *rq, const struct db_conn *db)
{
    if (!db || db->err == DB_UNAVAILABLE || db->err == DB_RETRY)
        return gw_reply_db_unavailable(rq);
    return gw_reply_internal(rq, db->errmsg);
}

json_t *gw_parse_body(struct gw_request *rq, struct gw_problem *p)
{
    json_error_t e;
    if (rq->body.len == 0) {
        gw_fail(p, 400, "malformed-json", "Malformed JSON", "", "the request body is empty");
        return NULL;
    }
    /* Any JSON value parses; a valid one of the wrong type is the handler's 422, not a 400. */
    json_t *root =
        json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!root)
        gw_fail(p, 400, "malformed-json", "Malformed JSON", "",
                "the body is not valid JSON: %s at line %d, column %d", e.text, e.line, e.column);
    return root;
}

const char *gw_tenant_filter(const struct gw_request *rq)
{
    return rq->who.role == GW_ROLE_ADMIN ? NULL : rq->who.tenant;
}

int gw_only_fields(const json_t *obj, const char *const *allowed, const char *prefix,
                   struct gw_problem *p)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) {
            char f[160];
            snprintf(f, sizeof f, "%s%.100s", prefix, key);
            return gw_fail(p, 422, "invalid-field", "Invalid field", f, "unknown field %s", f);
        }
    }
    return 0;
}

int gw_pg_array_add(struct jg_buf *b, const char *value, bool first)
{
    int rc = first ? 0 : jg_buf_append(b, ",", 1);
    if (rc)
        return rc;
    if (!value)
        return jg_buf_append(b, "NULL", 4);
    rc = jg_buf_append(b, "\"", 1);
    for (const char *s = value; *s && !rc;) {
        size_t run = strcspn(s, "\"\\");
        rc = jg_buf_append(b, s, run);
        s += run;
        if (*s && !rc) {
            char esc[2] = {'\\', *s++};
            rc = jg_buf_append(b, esc, 2);
        }
    }
    return rc ? rc : jg_buf_append(b, "\"", 1);
}

int gw_field_string(const json_t *o, const char *key, bool required, const char **out,
                    struct gw_problem *p)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        if (required)
            return gw_fail(p, 422, "invalid-field", "Invalid field", key, "%s is required", key);
        return 0;
    }
    if (!json_is_string(v))
        return gw_fail(p, 422, "invalid-field", "Invalid field", key, "%s must be a string", key);
    *out = json_string_value(v);
    return 0;
}

int gw_field_int(const json_t *o, const char *key, long long lo, long long hi, json_int_t *out,
                 struct gw_problem *p)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return gw_fail(p, 422, "invalid-field", "Invalid field", key,
                       "%s must be an integer from %lld to %lld", key, lo, hi);
    *out = json_integer_value(v);
    return 0;
}

int gw_field_number(const json_t *o, const char *key, double lo, double hi, double *out,
                    struct gw_problem *p)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_number(v) || !(json_number_value(v) >= lo) || json_number_value(v) > hi)
        return gw_fail(p, 422, "invalid-field", "Invalid field", key,
                       "%s must be a number from %g to %g", key, lo, hi);
    *out = json_number_value(v);
    return 0;
}
