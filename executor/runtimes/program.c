/* program jobs: c11 and cpp17 are compiled in the box under the compiler limits (CE with the
 * compiler's message on failure) and the binary comes back out by descriptor; python3 sources run
 * as they are. Then one run with stdin, or one fresh run per test, compared by the checker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checker.h"
#include "runtime.h"

#define COMPILE_OUTPUT_MAX (64u << 10)
#define BINARY_MAX (64u << 20)

struct program {
    const struct ex_exec *x;
    const struct ex_job *job;
    struct ex_checker checker;
    bool python;
    const char *binary; /* compiled program (owned by the compile result) */
    size_t binary_len;
};

/* Compile into the binary "main". Returns 0 with *bin filled (the caller frees cres), or 1 with
 * *outcome set (CE, or failed when the sandbox failed), or -ECANCELED. */
static int compile(const struct ex_exec *x, const struct ex_job *job, struct sbx_result *cres,
                   json_t **outcome)
{
    bool cpp = strcmp(job->runtime, "cpp17") == 0;
    const char *src = cpp ? "main.cpp" : "main.c";
    const char *cc[] = {x->cfg->gcc, "-std=c11", "-O2", "-o", "main", src, "-lm", NULL};
    const char *cxx[] = {x->cfg->gxx, "-std=c++17", "-O2", "-o", "main", src, NULL};
    struct sbx_file_in in[] = {{src, job->code, job->code_len, -1, 0644}};
    struct sbx_file_out out[] = {{"main", BINARY_MAX}};
    struct sbx_run run = {.argv = cpp ? cxx : cc, .envp = ex_run_env, .stdin_fd = -1, .files_in = in,
                          .nfiles_in = 1, .files_out = out, .nfiles_out = 1};
    run.limits.cpu_ms = (uint64_t)x->cfg->compile_cpu_ms;
    run.limits.wall_ms = 2 * (uint64_t)x->cfg->compile_cpu_ms + 5000;
    run.limits.memory_kb = (uint64_t)x->cfg->compile_memory_mb * 1024;
    run.limits.output_bytes = COMPILE_OUTPUT_MAX;
    run.limits.file_size_bytes = BINARY_MAX;
    run.limits.processes = 32;
    sbx_limits_default(&run.limits);
    ex_runner_run(x->runner, &run, cres);
    if (cres->verdict == SBX_INTERNAL) {
        if (cres->cancelled)
            return -ECANCELED;
        *outcome = ex_outcome_failed("SandboxError", "compiling: %s", cres->message);
        return 1;
    }
    const struct sbx_collected *bin = cres->nfiles ? &cres->files[0] : NULL;
    if (cres->verdict == SBX_OK && bin && !bin->error && !bin->truncated)
        return 0;
    /* The compiler's own words, plus why we stopped it when it was a limit. */
    char note[320] = "";
    if (cres->verdict != SBX_OK && cres->verdict != SBX_RE_EXIT)
        snprintf(note, sizeof note, "\n[jobgate: the compiler was stopped: %s (%s)]\n",
                 ex_verdict_of(cres->verdict), cres->message);
    else if (cres->verdict == SBX_OK)
        snprintf(note, sizeof note, "\n[jobgate: the compiler produced no usable binary]\n");
    size_t n = cres->err.len + cres->out.len + strlen(note);
    char *text = malloc(n + 1);
    json_t *o = json_pack("{s:s, s:s, s:{s:I, s:I, s:I}}", "status", "completed", "verdict", "CE", "usage",
                          "cpu_ms", (json_int_t)cres->cpu_ms, "wall_ms", (json_int_t)cres->wall_ms,
                          "memory_kb", (json_int_t)cres->memory_kb);
    if (!text || !o) {
        free(text);
        json_decref(o);
        *outcome = ex_outcome_failed("ExecutorError", "out of memory");
        return 1;
    }
    memcpy(text, cres->out.data ? cres->out.data : "", cres->out.len);
    memcpy(text + cres->out.len, cres->err.data ? cres->err.data : "", cres->err.len);
    memcpy(text + cres->out.len + cres->err.len, note, strlen(note));
    ex_put_b64(o, "compile_output", text, n);
    free(text);
    *outcome = o;
    return 1;
}

static void run_program(const struct program *p, const void *input, size_t input_len, struct sbx_result *res)
{
    const char *py[] = {p->x->cfg->python, "-I", "-B", "main.py", NULL};
    const char *bin[] = {"./main", NULL};
    struct sbx_file_in in[] = {p->python ? (struct sbx_file_in){"main.py", p->job->code, p->job->code_len, -1, 0644}
                                         : (struct sbx_file_in){"main", p->binary, p->binary_len, -1, 0755}};
    struct sbx_run run = {.argv = p->python ? py : bin, .envp = ex_run_env, .stdin_fd = -1,
                          .stdin_data = input, .stdin_len = input_len, .files_in = in, .nfiles_in = 1};
    ex_job_run_limits(&p->job->limits, &run.limits);
    ex_runner_run(p->x->runner, &run, res);
}

static int program_test(void *ctx, const json_t *test, json_t *rec, json_t **failed)
{
    struct program *p = ctx;
    size_t in_len, exp_len;
    unsigned char *input = ex_b64_field(test, "input", &in_len);
    unsigned char *expected = ex_b64_field(test, "expected", &exp_len);
    if (!input || !expected) {
        free(input);
        free(expected);
        return -ENOMEM;
    }
    struct sbx_result res;
    run_program(p, input, in_len, &res);
    int rc = 0;
    const char *v = ex_verdict_of(res.verdict);
    if (!v) {
        if (res.cancelled)
            rc = -ECANCELED;
        else
            *failed = ex_outcome_failed("SandboxError", "%s", res.message), rc = -EIO;
        goto out;
    }
    if (strcmp(v, "OK") == 0)
        v = ex_check_output(&p->checker, res.out.data ? res.out.data : "", res.out.len, (const char *)expected,
                            exp_len);
    json_t *o = ex_outcome_of_run(v, &res, (size_t)p->x->cfg->excerpt_bytes);
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
        if (strcmp(key, "status") != 0)
            json_object_set(rec, key, val);
    json_decref(o);
out:
    sbx_result_free(&res);
    free(input);
    free(expected);
    return rc;
}

int ex_program(const struct ex_exec *x, const struct ex_job *job, json_t **outcome)
{
    struct program p = {.x = x, .job = job, .python = strcmp(job->runtime, "python3") == 0};
    char err[160];
    const json_t *tests = json_object_get(job->spec, "tests");
    if (tests && ex_checker_parse(json_object_get(job->spec, "checker"), &p.checker, err, sizeof err)) {
        *outcome = ex_outcome_failed("UnsupportedChecker", "%s", err);
        return 0;
    }
    struct sbx_result cres;
    memset(&cres, 0, sizeof cres);
    int rc = 0;
    if (!p.python) {
        rc = compile(x, job, &cres, outcome);
        if (rc)
            goto out;
        p.binary = cres.files[0].data;
        p.binary_len = cres.files[0].len;
    }
    if (atomic_load(x->cancelled)) {
        rc = -ECANCELED;
        goto out;
    }
    if (tests) {
        json_t *o = json_object(), *failed = NULL;
        rc = ex_run_tests(x, job, program_test, &p, o, &failed);
        if (rc == -ECANCELED) {
            json_decref(o);
            goto out;
        }
        if (rc) {
            json_decref(o);
            o = failed ? failed : ex_outcome_failed("ExecutorError", "%s", strerror(-rc));
        }
        *outcome = o;
        rc = 0;
        goto out;
    }
    size_t in_len;
    unsigned char *input = ex_b64_field(job->spec, "stdin", &in_len);
    if (!input) {
        *outcome = ex_outcome_failed("ExecutorError", "stdin is not valid base64");
        goto out;
    }
    struct sbx_result res;
    run_program(&p, input, in_len, &res);
    free(input);
    const char *v = ex_verdict_of(res.verdict);
    if (v)
        *outcome = ex_outcome_of_run(v, &res, 0);
    else if (res.cancelled)
        rc = -ECANCELED;
    else
        *outcome = ex_outcome_failed("SandboxError", "%s", res.message);
    sbx_result_free(&res);
out:
    if (rc == 1)
        rc = 0;
    sbx_result_free(&cres);
    return rc;
}
