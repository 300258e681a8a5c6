/* python3 call and function jobs: a small harness runs inside the box with the job's bytes and
 * writes outcome.json, which the executor reads back (a regular file, never through a symlink) and
 * parses with a size cap. The executor never unpickles anything.
 *
 * Runs with the configured interpreter and no requirements go through the slot's Python zygote
 * (sandbox.h): a warm interpreter with both harnesses preloaded forks a confined child per run, which
 * behaves exactly as `python3 -I -B harness.py` in the box (the same files in and out, limits and
 * verdicts), without the ~40 ms start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "runtime.h"
#include "venv.h"

extern const char ex_call_harness_py[];
extern const char ex_function_harness_py[];

/* The slot's zygote: the configured interpreter with the flags of every harness run, both harnesses
 * preloaded (their `if __name__ == "__main__":` block runs in each run only). */
static void zygote_config(const struct ex_config *cfg, const char *zargv[4], struct sbx_file_in preload[2],
                          struct sbx_zygote_config *zc)
{
    zargv[0] = cfg->python;
    zargv[1] = "-I";
    zargv[2] = "-B";
    zargv[3] = NULL;
    preload[0] = (struct sbx_file_in){"/box/harness.py", ex_call_harness_py, strlen(ex_call_harness_py), -1, 0};
    preload[1] = (struct sbx_file_in){"/box/harness.py", ex_function_harness_py, strlen(ex_function_harness_py),
                                      -1, 0};
    *zc = (struct sbx_zygote_config){.argv = zargv, .envp = ex_run_env, .preload = preload, .npreload = 2,
                                     .max_runs = (unsigned)cfg->zygote_runs};
}

void ex_python_warm_up(struct ex_runner *r, const struct ex_config *cfg)
{
    const char *zargv[4];
    struct sbx_file_in preload[2];
    struct sbx_zygote_config zc;
    if (!cfg->zygote_runs || !ex_config_has_runtime(cfg, "python3"))
        return;
    zygote_config(cfg, zargv, preload, &zc);
    ex_runner_warm_up(r, &zc);
}

/* One harness run: @p job_file (payload.pkl or solution.py) + @p extra (input.json or NULL), with the
 * interpreter (and requirements) of @p env. */
static int run_harness(const struct ex_exec *x, const struct ex_job *job, const struct ex_pyenv *env,
                       const char *harness, const char *job_file, const char *extra, struct sbx_result *res)
{
    const char *argv[] = {env->python, "-I", "-B", "harness.py", NULL};
    struct sbx_file_in in[3] = {
        {"harness.py", harness, strlen(harness), -1, 0644},
        {job_file, job->code, job->code_len, -1, 0644},
        {"input.json", extra, extra ? strlen(extra) : 0, -1, 0644},
    };
    uint64_t cap = (uint64_t)x->cfg->result_kb * 1024 / 3 * 4 + (1u << 20);
    struct sbx_file_out out[] = {{"outcome.json", cap}};
    struct sbx_run run = {.argv = argv, .envp = ex_run_env, .stdin_fd = -1, .files_in = in,
                          .nfiles_in = extra ? 3 : 2, .files_out = out, .nfiles_out = 1,
                          .binds = &env->bind, .nbinds = env->nbinds};
    ex_job_run_limits(&job->limits, &run.limits);
    if (run.limits.file_size_bytes < cap)
        run.limits.file_size_bytes = cap;
    if (!x->cfg->zygote_runs || env->nbinds) /* requirements: the venv's interpreter, not the zygote's */
        return ex_runner_run(x->runner, &run, res);
    const char *zargv[4];
    struct sbx_file_in preload[2];
    struct sbx_zygote_config zc;
    zygote_config(x->cfg, zargv, preload, &zc);
    return ex_runner_run_warm(x->runner, &run, &zc, res);
}

/* The outcome of a harness run, before any test comparison: a run verdict that is not OK wins; then
 * the harness's outcome.json decides OK (with *doc set, a new reference) or EXC. */
static json_t *harness_outcome(const struct sbx_result *res, size_t excerpt,
                               json_t **doc)
{
    *doc = NULL;
    if (res->verdict == SBX_INTERNAL)
        return res->cancelled ? NULL : ex_outcome_failed("SandboxError", "%s", res->message);
    const char *v = ex_verdict_of(res->verdict);
    const struct sbx_collected *f = res->nfiles ? &res->files[0] : NULL;
    json_t *o = NULL;
    if (strcmp(v, "OK") == 0 && f && !f->error && f->truncated) {
        o = ex_outcome_of_run("OLE", res, excerpt);
        json_object_set_new(o, "error", json_pack("{s:s, s:s, s:s}", "type", "ResultTooLarge", "message",
                                                  "the result is larger than the executor accepts",
                                                  "traceback", ""));
        return o;
    }
    json_error_t jerr;
    json_t *d = strcmp(v, "OK") == 0 && f && !f->error ? json_loadb(f->data, f->len, 0, &jerr) : NULL;
    if (strcmp(v, "OK") == 0 && !json_is_object(d)) {
        /* The job ended the interpreter itself (os._exit(0)) or overwrote the harness's file. */
        json_decref(d);
        o = ex_outcome_of_run("RE", res, excerpt);
        json_object_set_new(o, "error", json_pack("{s:s, s:s, s:s}", "type", "NoResult", "message",
                                                  "the job ended without a result (exit without "
                                                  "returning, or the result file was damaged)",
                                                  "traceback", ""));
        return o;
    }
    if (strcmp(v, "OK") != 0)
        return ex_outcome_of_run(v, res, excerpt);
    bool ok = json_is_true(json_object_get(d, "ok"));
    const char *etype = json_string_value(json_object_get(json_object_get(d, "error"), "type"));
    /* MemoryError is how an address-space limit shows in Python: the job hit its memory limit. */
    bool mle = !ok && etype && strcmp(etype, "MemoryError") == 0;
    o = ex_outcome_of_run(ok ? "OK" : mle ? "MLE" : "EXC", res, excerpt);
    if (!ok) {
        json_t *err = json_object_get(d, "error");
        const char *type = json_string_value(json_object_get(err, "type"));
        const char *msg = json_string_value(json_object_get(err, "message"));
        const char *tb = json_string_value(json_object_get(err, "traceback"));
        json_object_set_new(o, "error", json_pack("{s:s, s:s, s:s}", "type", type ? type : "Exception",
                                                  "message", msg ? msg : "", "traceback", tb ? tb : ""));
    }
    *doc = d;
    return o;
}

int ex_python_call(const struct ex_exec *x, const struct ex_job *job, json_t **outcome)
{
    struct sbx_result res;
    struct ex_pyenv env;
    json_t *doc;
    if (ex_pyenv_init(x, job, &env, outcome))
        return 0;
    run_harness(x, job, &env, ex_call_harness_py, "payload.pkl", NULL, &res); /* res carries any failure */
    *outcome = harness_outcome(&res, 0, &doc);
    sbx_result_free(&res);
    if (!*outcome) {
        json_decref(doc);
        return -ECANCELED;
    }
    /* The pickled return value, or the pickled exception next to its description. */
    const json_t *blob = json_object_get(doc, json_is_true(json_object_get(doc, "ok")) ? "result" : "exception");
    if (json_is_string(blob))
        json_object_set(*outcome, "result", (json_t *)blob);
    json_decref(doc);
    return 0;
}

static char *function_input(const struct ex_job *job, const json_t *args, const json_t *kwargs)
{
    /* "O" takes a reference of its own: a fresh default goes in with "o" (stolen), not leaked. */
    json_t *in = json_pack("{s:O, s:o, s:o}", "entrypoint", json_object_get(job->spec, "entrypoint"),
                           "args", args ? json_incref((json_t *)args) : json_array(), "kwargs",
                           kwargs ? json_incref((json_t *)kwargs) : json_object());
    char *text = in ? json_dumps(in, JSON_COMPACT) : NULL;
    json_decref(in);
    return text;
}

struct function_tests {
    const struct ex_exec *x;
    const struct ex_job *job;
    const struct ex_pyenv *env;
    const struct ex_checker *checker;
};

static int function_test(void *ctx, const json_t *test, json_t *rec, json_t **failed)
{
    struct function_tests *ft = ctx;
    char *input = function_input(ft->job, json_object_get(test, "args"), json_object_get(test, "kwargs"));
    if (!input)
        return -ENOMEM;
    struct sbx_result res;
    json_t *doc;
    run_harness(ft->x, ft->job, ft->env, ex_function_harness_py, "solution.py", input, &res);
    free(input);
    json_t *o = harness_outcome(&res, (size_t)ft->x->cfg->excerpt_bytes, &doc);
    sbx_result_free(&res);
    if (!o)
        return -ECANCELED;
    if (strcmp(json_string_value(json_object_get(o, "status")), "failed") == 0) {
        *failed = o;
        json_decref(doc);
        return -EIO;
    }
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
        if (strcmp(key, "status") != 0)
            json_object_set(rec, key, val);
    json_decref(o);
    if (doc && json_is_true(json_object_get(doc, "ok"))) {
        const json_t *value = json_object_get(doc, "value");
        bool same = ex_check_value(ft->checker, value,
                                   json_object_get(test, "expected"));
        json_object_set_new(rec, "verdict", json_string(same ? "OK" : "WA"));
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text && strlen(text) <= (size_t)ft->x->cfg->excerpt_bytes)
            json_object_set(rec, "value", (json_t *)value);
        free(text);
    }
    json_decref(doc);
    return 0;
}

int ex_python_function(const struct ex_exec *x, const struct ex_job *job, json_t **outcome)
{
    struct ex_pyenv env;
    if (ex_pyenv_init(x, job, &env, outcome))
        return 0;
    if (json_object_get(job->spec, "tests")) {
        struct ex_checker checker;
        char err[160];
        int rc = ex_checker_parse(json_object_get(job->spec, "checker"), &checker, err, sizeof err);
        if (rc) {
            *outcome = ex_outcome_failed("UnsupportedChecker", "%s", err);
            return 0;
        }
        struct function_tests ft = {x, job, &env, &checker};
        json_t *o = json_object(), *failed = NULL;
        rc = ex_run_tests(x, job, function_test, &ft, o, &failed);
        if (rc == -ECANCELED) {
            json_decref(o);
            return rc;
        }
        if (rc) {
            json_decref(o);
            *outcome = failed ? failed : ex_outcome_failed("ExecutorError", "%s", strerror(-rc));
            return 0;
        }
        *outcome = o;
        return 0;
    }
    char *input = function_input(job, json_object_get(job->spec, "args"), json_object_get(job->spec, "kwargs"));
    if (!input) {
        *outcome = ex_outcome_failed("ExecutorError", "out of memory");
        return 0;
    }
    struct sbx_result res;
    json_t *doc;
    run_harness(x, job, &env, ex_function_harness_py, "solution.py", input, &res);
    free(input);
    *outcome = harness_outcome(&res, 0, &doc);
    sbx_result_free(&res);
    if (!*outcome) {
        json_decref(doc);
        return -ECANCELED;
    }
    if (doc && json_is_true(json_object_get(doc, "ok")))
        json_object_set(*outcome, "value", json_object_get(doc, "value"));
    json_decref(doc);
    return 0;
}
