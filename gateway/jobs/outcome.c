/* Validation of a job's outcome as executors report it (PUT /jobs/<id>/result and each element of
 * POST /executor/results). Pure: no I/O. */
#include "outcome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "handlers/handlers.h"
#include "job_json.h"

static const char *const verdicts[] = {"OK", "WA", "PE", "TLE", "MLE", "OLE",
                                       "RE", "CE", "EXC", "SYS", NULL};

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static int check_b64(const json_t *o, const char *key, struct gw_problem *p)
{
    const json_t *v = json_object_get(o, key);
    size_t bad;
    if (v && (!json_is_string(v) ||
              jg_base64_validate(json_string_value(v), json_string_length(v), &bad) < 0))
        return gw_fail(p, 422, "invalid-field", "Invalid field", key,
                       "%s must be a base64 string", key);
    return 0;
}

static int check_type(const json_t *o, const char *key, json_type t1, json_type t2,
                      const char *what, struct gw_problem *p)
{
    const json_t *v = json_object_get(o, key);
    if (v && json_typeof(v) != t1 && json_typeof(v) != t2)
        return gw_fail(p, 422, "invalid-field", "Invalid field", key, "%s must be %s", key, what);
    return 0;
}

/* One element of "tests": what a single test run produced. */
static int validate_test(const json_t *t, size_t i, struct gw_problem *p)
{
    static const char *const fields[] = {
        "index", "verdict", "usage", "exit_code", "signal", "stdout", "stdout_truncated",
        "stderr", "stderr_truncated", "value", "error", "group", "points", "message", NULL};
    char prefix[40], f[64];
    snprintf(prefix, sizeof prefix, "tests[%zu].", i);
    if (!json_is_object(t))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "tests",
                       "tests[%zu] must be an object", i);
    if (gw_only_fields(t, fields, prefix, p))
        return -1;
    const json_t *v = json_object_get(t, "verdict");
    snprintf(f, sizeof f, "%sverdict", prefix);
    if (!json_is_string(v) || !in_list(json_string_value(v), verdicts))
        return gw_fail(p, 422, "invalid-field", "Invalid field", f,
                       "%s is required: OK, WA, PE, TLE, MLE, OLE, RE, CE, EXC or SYS", f);
    const json_t *idx = json_object_get(t, "index");
    snprintf(f, sizeof f, "%sindex", prefix);
    if (idx && (!json_is_integer(idx) || json_integer_value(idx) < 0))
        return gw_fail(p, 422, "invalid-field", "Invalid field", f, "%s must be an integer >= 0",
                       f);
    static const char *const b64[] = {"stdout", "stderr", NULL};
    for (const char *const *k = b64; *k; k++) {
        const json_t *x = json_object_get(t, *k);
        size_t bad;
        snprintf(f, sizeof f, "%s%s", prefix, *k);
        if (x && (!json_is_string(x) ||
                  jg_base64_validate(json_string_value(x), json_string_length(x), &bad) < 0))
            return gw_fail(p, 422, "invalid-field", "Invalid field", f, "%s must be base64", f);
    }
    const json_t *u = json_object_get(t, "usage");
    snprintf(f, sizeof f, "%susage", prefix);
    if (u && !json_is_object(u))
        return gw_fail(p, 422, "invalid-field", "Invalid field", f, "%s must be an object", f);
    return 0;
}

static const char *const outcome_fields[] = {
    "lease", "status", "verdict", "result", "value", "error", "stdout", "stdout_truncated",
    "stderr", "stderr_truncated", "usage", "exit_code", "signal", "tests", "score",
    "max_score", "compile_output", "groups", "message", NULL};

static bool known_field(const char *key, const char *extra)
{
    return in_list(key, outcome_fields) || (extra && strcmp(key, extra) == 0);
}

static int validate(json_t *root, const char *extra, const char **status, const char **verdict,
                    const char **lease, struct gw_problem *p)
{
    if (!json_is_object(root))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "", "the body must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (!known_field(key, extra))
            return gw_fail(p, 422, "invalid-field", "Invalid field", key, "unknown field %.100s",
                           key);
    }
    if (gw_field_string(root, "lease", true, lease, p) ||
        gw_field_string(root, "status", true, status, p) ||
        gw_field_string(root, "verdict", false, verdict, p))
        return -1;
    char tok[37];
    if (!gw_job_id_valid(*lease, tok))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "lease", "lease must be a UUID");
    if (strcmp(*status, "completed") != 0 && strcmp(*status, "failed") != 0)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "status",
                       "status must be completed or failed");
    if (*verdict && !in_list(*verdict, verdicts))
        return gw_fail(p, 422, "invalid-field", "Invalid field", "verdict",
                       "verdict must be one of OK, WA, PE, TLE, MLE, OLE, RE, CE, EXC, SYS");
    if (strcmp(*status, "completed") == 0 && !*verdict)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "verdict",
                       "a completed job needs a verdict");
    if (strcmp(*status, "failed") == 0 && *verdict)
        return gw_fail(p, 422, "invalid-field", "Invalid field", "verdict",
                       "a failed job has no verdict; describe the failure in error");
    if (check_b64(root, "result", p) || check_b64(root, "stdout", p) ||
        check_b64(root, "stderr", p) || check_b64(root, "compile_output", p) ||
        check_type(root, "stdout_truncated", JSON_TRUE, JSON_FALSE, "a boolean", p) ||
        check_type(root, "stderr_truncated", JSON_TRUE, JSON_FALSE, "a boolean", p) ||
        check_type(root, "exit_code", JSON_INTEGER, JSON_NULL, "an integer or null", p) ||
        check_type(root, "signal", JSON_INTEGER, JSON_NULL, "an integer or null", p) ||
        check_type(root, "tests", JSON_ARRAY, JSON_ARRAY, "an array", p) ||
        check_type(root, "groups", JSON_ARRAY, JSON_ARRAY, "an array", p) ||
        check_type(root, "message", JSON_STRING, JSON_STRING, "a string", p) ||
        check_type(root, "score", JSON_INTEGER, JSON_REAL, "a number", p) ||
        check_type(root, "max_score", JSON_INTEGER, JSON_REAL, "a number", p))
        return -1;
    const json_t *tests = json_object_get(root, "tests");
    size_t ti;
    const json_t *t;
    json_array_foreach(tests, ti, t)
    {
        if (validate_test(t, ti, p))
            return -1;
    }
    const json_t *err = json_object_get(root, "error");
    if (err) {
        static const char *const ef[] = {"type", "message", "traceback", NULL};
        const char *s;
        if (!json_is_object(err) || gw_only_fields(err, ef, "error.", p) ||
            gw_field_string(err, "type", true, &s, p) ||
            gw_field_string(err, "message", false, &s, p) ||
            gw_field_string(err, "traceback", false, &s, p))
            return p->status ? -1
                             : gw_fail(p, 422, "invalid-field", "Invalid field", "error",
                                       "error must be {type, message, traceback}");
    }
    const json_t *usage = json_object_get(root, "usage");
    if (usage) {
        static const char *const uf[] = {"cpu_ms", "wall_ms", "memory_kb", NULL};
        json_int_t x;
        if (!json_is_object(usage) || gw_only_fields(usage, uf, "usage.", p) ||
            gw_field_int(usage, "cpu_ms", 0, 1LL << 50, &x, p) ||
            gw_field_int(usage, "wall_ms", 0, 1LL << 50, &x, p) ||
            gw_field_int(usage, "memory_kb", 0, 1LL << 50, &x, p))
            return p->status ? -1
                             : gw_fail(p, 422, "invalid-field", "Invalid field", "usage",
                                       "usage must be {cpu_ms, wall_ms, memory_kb}");
    }
    return 0;
}

int gw_outcome_parse(json_t *root, const char *extra, struct gw_outcome *out, struct gw_problem *p)
{
    const char *status = NULL, *verdict = NULL, *lease = NULL;
    memset(out, 0, sizeof *out);
    if (validate(root, extra, &status, &verdict, &lease, p))
        return -1;
    gw_job_id_valid(lease, out->lease);
    snprintf(out->status, sizeof out->status, "%s", status);
    if (verdict)
        snprintf(out->verdict, sizeof out->verdict, "%s", verdict);
    json_t *doc = json_copy(root); /* shallow: the stored copy omits the envelope */
    if (!doc)
        return gw_fail(p, 500, "internal", "Internal server error", "", "out of memory");
    json_object_del(doc, "lease");
    json_object_del(doc, "status");
    json_object_del(doc, "verdict");
    if (extra)
        json_object_del(doc, extra);
    out->doc = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!out->doc)
        return gw_fail(p, 500, "internal", "Internal server error", "", "out of memory");
    return 0;
}

void gw_outcome_free(struct gw_outcome *o)
{
    free(o->doc);
    o->doc = NULL;
}
