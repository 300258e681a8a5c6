/* Dispatch by kind, outcome documents, and the test loop shared by function and program jobs. */
#include "runtime.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

const char *const ex_run_env[] = {"PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "TMPDIR=/tmp",
                                  NULL};

int ex_runtime_run(const struct ex_exec *x, const struct ex_job *job, json_t **outcome)
{
    *outcome = NULL;
    if (!ex_config_has_runtime(x->cfg, job->runtime)) {
        *outcome = ex_outcome_failed("ExecutorError", "runtime %s is not offered by this executor",
                                     job->runtime);
        return 0;
    }
    bool python = strcmp(job->runtime, "python3") == 0;
    if (!python && json_array_size(json_object_get(job->spec, "requirements"))) {
        *outcome = ex_outcome_failed("RequirementsError", "requirements are for Python jobs (runtime python3), "
                                     "not %s", job->runtime);
        return 0;
    }
    if (job->kind == EX_KIND_PROGRAM)
        return ex_program(x, job, outcome);
    if (!python) {
        *outcome = ex_outcome_failed("ExecutorError", "runtime %s runs only program jobs", job->runtime);
        return 0;
    }
    const json_t *checker = json_object_get(job->spec, "checker");
    if (job->kind == EX_KIND_FUNCTION && json_is_object(checker) &&
        strcmp(json_string_value(json_object_get(checker, "type")), "custom") == 0) {
        *outcome = ex_outcome_failed("UnsupportedChecker", "a custom checker judges program output; "
                                     "function tests compare JSON values (exact or float)");
        return 0;
    }
    return job->kind == EX_KIND_CALL ? ex_python_call(x, job, outcome) : ex_python_function(x, job, outcome);
}

const char *ex_verdict_of(enum sbx_verdict v)
{
    switch (v) {
    case SBX_OK:
        return "OK";
    case SBX_RE_EXIT:
    case SBX_RE_SIGNAL:
        return "RE";
    case SBX_SYS:
        return "SYS";
    case SBX_OLE:
        return "OLE";
    case SBX_MLE:
        return "MLE";
    case SBX_TLE_WALL:
    case SBX_TLE_CPU:
        return "TLE";
    case SBX_INTERNAL:
        break;
    }
    return NULL;
}

json_t *ex_outcome_failed(const char *type, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_pack("{s:s, s:{s:s, s:s, s:s}}", "status", "failed", "error", "type", type, "message",
                     msg, "traceback", "");
}

int ex_put_b64(json_t *obj, const char *key, const void *data, size_t len)
{
    char *b = jg_base64_encode_alloc((const unsigned char *)(data ? data : ""), len);
    if (!b)
        return -ENOMEM;
    int rc = json_object_set_new(obj, key, json_string(b));
    free(b);
    return rc ? -ENOMEM : 0;
}

static int put_output(json_t *o, const char *key, const char *tkey, const struct sbx_output *out,
                      size_t excerpt)
{
    size_t n = excerpt && out->len > excerpt ? excerpt : out->len;
    json_object_set_new(o, tkey, json_boolean(out->truncated || n < out->len));
    return ex_put_b64(o, key, out->data, n);
}

json_t *ex_outcome_of_run(const char *verdict, const struct sbx_result *res, size_t excerpt)
{
    json_t *o = json_pack("{s:s, s:s, s:{s:I, s:I, s:I}}", "status", "completed", "verdict", verdict,
                          "usage", "cpu_ms", (json_int_t)res->cpu_ms, "wall_ms", (json_int_t)res->wall_ms,
                          "memory_kb", (json_int_t)res->memory_kb);
    if (!o)
        return NULL;
    json_object_set_new(o, "exit_code", res->signal ? json_null() : json_integer(res->exit_code));
    json_object_set_new(o, "signal", res->signal ? json_integer(res->signal) : json_null());
    if (put_output(o, "stdout", "stdout_truncated", &res->out, excerpt) ||
        put_output(o, "stderr", "stderr_truncated", &res->err, excerpt)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ex_run_tests(const struct ex_exec *x, const struct ex_job *job, ex_test_fn fn, void *ctx,
                 json_t *outcome, json_t **failed)
{
    return ex_run_test_list(x, json_object_get(job->spec, "tests"),
                            !json_is_false(json_object_get(job->spec, "stop_on_failure")), fn, ctx,
                            outcome, failed);
}

/* Subtask totals: one entry per group name, in order of first appearance. */
static json_t *group_entry(json_t *groups, const char *name)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        if (strcmp(json_string_value(json_object_get(g, "name")), name) == 0)
            return g;
    }
    g = json_pack("{s:s, s:f, s:f, s:n, s:i, s:i, s:b}", "name", name, "score", 0.0, "max_score",
                  0.0, "verdict", "tests", 0, "passed", 0, "complete", 1);
    json_array_append_new(groups, g);
    return g;
}

static void add_real(json_t *o, const char *key, double d)
{
    json_object_set_new(o, key, json_real(json_number_value(json_object_get(o, key)) + d));
}

/* The per-group scores, once every test is known: all or nothing. Returns the groups' total. */
static double score_groups(json_t *groups)
{
    double total = 0;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        json_int_t n = json_integer_value(json_object_get(g, "tests"));
        bool all = json_is_true(json_object_get(g, "complete")) &&
                   json_integer_value(json_object_get(g, "passed")) == n;
        double s = all ? json_number_value(json_object_get(g, "max_score")) : 0;
        json_object_set_new(g, "score", json_real(s));
        if (json_is_null(json_object_get(g, "verdict")))
            json_object_set_new(g, "verdict", json_string(all ? "OK" : "SKIPPED"));
        json_object_del(g, "passed");
        json_object_del(g, "complete");
        total += s;
    }
    return total;
}

int ex_run_test_list(const struct ex_exec *x, const json_t *tests, bool stop_on_failure,
                     ex_test_fn fn, void *ctx, json_t *outcome, json_t **failed)
{
    json_t *records = json_array(), *groups = json_array();
    const char *verdict = "OK";
    double score = 0, max_score = 0;
    json_int_t cpu = 0, wall = 0, mem = 0;
    int rc = 0;
    size_t i, total = json_array_size(tests);
    const json_t *t;
    json_array_foreach(tests, i, t)
    {
        const json_t *pts = json_object_get(t, "points");
        const char *group = json_string_value(json_object_get(t, "group"));
        double points = pts ? json_number_value(pts) : 1;
        json_t *g = group ? group_entry(groups, group) : NULL;
        max_score += points;
        if (g) {
            add_real(g, "max_score", points);
            json_object_set_new(g, "tests", json_integer(json_integer_value(json_object_get(g, "tests")) + 1));
        }
        if (strcmp(verdict, "OK") != 0 && stop_on_failure) {
            if (g) /* not run: the subtask cannot be complete */
                json_object_set_new(g, "complete", json_false());
            continue; /* counted in max_score, not run */
        }
        if (atomic_load(x->cancelled)) {
            rc = -ECANCELED;
            break;
        }
        json_t *rec = json_pack("{s:I}", "index", (json_int_t)i);
        if ((rc = fn(ctx, t, rec, failed))) {
            json_decref(rec);
            break;
        }
        if (group)
            json_object_set_new(rec, "group", json_string(group));
        json_object_set_new(rec, "points", json_real(points));
        const char *v = json_string_value(json_object_get(rec, "verdict"));
        bool ok = v && strcmp(v, "OK") == 0;
        if (ok && !g)
            score += points;
        if (ok && g)
            json_object_set_new(g, "passed", json_integer(json_integer_value(json_object_get(g, "passed")) + 1));
        if (!ok && g && json_is_null(json_object_get(g, "verdict")))
            json_object_set_new(g, "verdict", json_string(v ? v : "SYS"));
        if (!ok && strcmp(verdict, "OK") == 0) {
            verdict = v ? v : "SYS";
            json_object_set_new(outcome, "verdict", json_string(verdict));
        }
        const json_t *u = json_object_get(rec, "usage");
        cpu += json_integer_value(json_object_get(u, "cpu_ms"));
        wall += json_integer_value(json_object_get(u, "wall_ms"));
        json_int_t m = json_integer_value(json_object_get(u, "memory_kb"));
        mem = m > mem ? m : mem;
        json_array_append_new(records, rec);
        if (x->progress)
            x->progress(x->progress_ctx, records, total);
    }
    if (rc) {
        json_decref(records);
        json_decref(groups);
        return rc;
    }
    score += score_groups(groups);
    json_object_set_new(outcome, "status", json_string("completed"));
    if (!json_object_get(outcome, "verdict"))
        json_object_set_new(outcome, "verdict", json_string("OK"));
    json_object_set_new(outcome, "tests", records);
    json_object_set_new(outcome, "score", json_real(score));
    json_object_set_new(outcome, "max_score", json_real(max_score));
    if (json_array_size(groups))
        json_object_set_new(outcome, "groups", groups);
    else
        json_decref(groups);
    json_object_set_new(outcome, "usage", json_pack("{s:I, s:I, s:I}", "cpu_ms", cpu, "wall_ms", wall,
                                                    "memory_kb", mem));
    return 0;
}
