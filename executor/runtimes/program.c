/* program jobs: c11 and cpp17 are compiled once, in the box, under the compiler limits (CE with the
 * compiler's message on failure) and the binary comes back out by descriptor; python3 sources run
 * as they are. Then one run with stdin (compared with "expected" when given), or one fresh run per
 * test — the job's own tests, or a stored problem's, read from the test-data cache by hash —
 * checked by a built-in checker or by a custom checker program, itself compiled once (and cached
 * by what it was built from) and run in a fresh box per test with the input, the program's output
 * and the expected output as files, testlib's way: exit 0 OK, 1 WA, 2 PE, 3 the checker failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "checker.h"
#include "runtime.h"
#include "venv.h"
#include "sha256.h"
#include "utf8.h"

#define COMPILE_OUTPUT_MAX (64u << 10)
#define BINARY_MAX (64u << 20)
#define CHECKER_MESSAGE_MAX 1024
#define EXPECTED_MAX ((size_t)1 << 30)

/* A checker program: a Python source, or a compiled binary (bytes, or a cached file's fd). */
struct checker_prog {
    bool python;
    unsigned char *source; /* decoded code (owned) */
    size_t source_len;
    char *binary;          /* owned */
    size_t binary_len;
    int fd;                /* a cached binary, or -1 */
};

struct program {
    const struct ex_exec *x;
    const struct ex_job *job;
    struct ex_checker checker;
    const json_t *custom;  /* a custom checker's {type, runtime, code} (borrowed) */
    struct checker_prog cprog;
    bool python;
    struct ex_pyenv pyenv; /* python: the interpreter, and the job's requirements (venv.h) */
    bool stored;           /* tests from a stored problem: input and expected are blob hashes */
    const char *binary;    /* compiled program (owned by the compile result) */
    size_t binary_len;
};

/* The fixed compiler command lines (documented in README.md and GET /runtimes): @p argv gets at
 * most 8 entries, NULL-terminated. */
static void compiler_argv(const struct ex_config *cfg, const char *runtime, const char *argv[8],
                          const char **src)
{
    bool cpp = strcmp(runtime, "cpp17") == 0;
    int n = 0;
    *src = cpp ? "main.cpp" : "main.c";
    argv[n++] = cpp ? cfg->gxx : cfg->gcc;
    argv[n++] = cpp ? "-std=c++17" : "-std=c11";
    argv[n++] = "-O2";
    argv[n++] = "-o";
    argv[n++] = "main";
    argv[n++] = *src;
    if (!cpp)
        argv[n++] = "-lm";
    argv[n] = NULL;
}

/* Compile @p code for @p runtime (c11 or cpp17) into "main". Returns 0 with the binary in
 * cres->files[0], 1 when the compiler failed (its output in cres), -ECANCELED, or -EIO when the
 * sandbox failed (cres->message). */
static int compile_source(const struct ex_exec *x, const char *runtime, const void *code,
                          size_t code_len, struct sbx_result *cres)
{
    const char *src, *argv[8];
    compiler_argv(x->cfg, runtime, argv, &src);
    struct sbx_file_in in[] = {{src, code, code_len, -1, 0644}};
    struct sbx_file_out out[] = {{"main", BINARY_MAX}};
    struct sbx_run run = {.argv = argv, .envp = ex_run_env, .stdin_fd = -1, .files_in = in,
                          .nfiles_in = 1, .files_out = out, .nfiles_out = 1};
    run.limits.cpu_ms = (uint64_t)x->cfg->compile_cpu_ms;
    run.limits.wall_ms = 2 * (uint64_t)x->cfg->compile_cpu_ms + 5000;
    run.limits.memory_kb = (uint64_t)x->cfg->compile_memory_mb * 1024;
    run.limits.output_bytes = COMPILE_OUTPUT_MAX;
    run.limits.file_size_bytes = BINARY_MAX;
    run.limits.processes = 32;
    sbx_limits_default(&run.limits);
    ex_runner_run(x->runner, &run, cres);
    if (cres->verdict == SBX_INTERNAL)
        return cres->cancelled ? -ECANCELED : -EIO;
    const struct sbx_collected *bin = cres->nfiles ? &cres->files[0] : NULL;
    return cres->verdict == SBX_OK && bin && !bin->error && !bin->truncated ? 0 : 1;
}

/* The compiler's own words, plus why we stopped it when it was a limit (malloc'd). */
static char *compiler_message(const struct sbx_result *cres, size_t *len)
{
    char note[320] = "";
    if (cres->verdict != SBX_OK && cres->verdict != SBX_RE_EXIT)
        snprintf(note, sizeof note, "\n[jobgate: the compiler was stopped: %s (%s)]\n",
                 ex_verdict_of(cres->verdict), cres->message);
    else if (cres->verdict == SBX_OK)
        snprintf(note, sizeof note, "\n[jobgate: the compiler produced no usable binary]\n");
    size_t n = cres->err.len + cres->out.len + strlen(note);
    char *text = malloc(n + 1);
    if (!text)
        return NULL;
    memcpy(text, cres->out.data ? cres->out.data : "", cres->out.len);
    memcpy(text + cres->out.len, cres->err.data ? cres->err.data : "", cres->err.len);
    memcpy(text + cres->out.len + cres->err.len, note, strlen(note) + 1);
    *len = n;
    return text;
}

/* Compile the job's program. Returns 0 (binary in cres), 1 with *outcome set (CE, or failed when
 * the sandbox failed), or -ECANCELED. */
static int compile(const struct ex_exec *x, const struct ex_job *job, struct sbx_result *cres,
                   json_t **outcome)
{
    int rc = compile_source(x, job->runtime, job->code, job->code_len, cres);
    if (rc <= 0 && rc != -EIO)
        return rc;
    if (rc == -EIO) {
        *outcome = ex_outcome_failed("SandboxError", "compiling: %s", cres->message);
        return 1;
    }
    size_t n;
    char *text = compiler_message(cres, &n);
    json_t *o = json_pack("{s:s, s:s, s:{s:I, s:I, s:I}}", "status", "completed", "verdict", "CE",
                          "usage", "cpu_ms", (json_int_t)cres->cpu_ms, "wall_ms",
                          (json_int_t)cres->wall_ms, "memory_kb", (json_int_t)cres->memory_kb);
    if (!text || !o) {
        free(text);
        json_decref(o);
        *outcome = ex_outcome_failed("ExecutorError", "out of memory");
        return 1;
    }
    ex_put_b64(o, "compile_output", text, n);
    free(text);
    *outcome = o;
    return 1;
}

/* --- custom checkers ------------------------------------------------------------------------ */

/* The cache key of a compiled checker: everything the binary depends on. */
static void checker_key(const struct ex_exec *x, const char *runtime, const void *code, size_t len,
                        char key[65])
{
    const char *src, *argv[8];
    compiler_argv(x->cfg, runtime, argv, &src);
    struct jg_sha256 h;
    unsigned char d[JG_SHA256_LEN];
    jg_sha256_init(&h);
    jg_sha256_update(&h, "jobgate checker v1\n", 19);
    for (int i = 0; argv[i]; i++)
        jg_sha256_update(&h, argv[i], strlen(argv[i]) + 1);
    jg_sha256_update(&h, code, len);
    jg_sha256_final(&h, d);
    for (int i = 0; i < JG_SHA256_LEN; i++)
        snprintf(key + 2 * i, 3, "%02x", d[i]);
}

static void checker_prog_free(struct checker_prog *c)
{
    free(c->source);
    free(c->binary);
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Make the custom checker runnable: decode it, and compile it unless it is Python (or take the
 * binary from the cache). Returns 0, 1 with *outcome set (the job fails: the checker is the
 * problem setter's, not the contestant's), or -ECANCELED. */
static int prepare_checker(struct program *p, json_t **outcome)
{
    const struct ex_exec *x = p->x;
    struct checker_prog *c = &p->cprog;
    const char *runtime = json_string_value(json_object_get(p->custom, "runtime"));
    c->source = ex_b64_field(p->custom, "code", &c->source_len);
    if (!c->source) {
        *outcome = ex_outcome_failed("CheckerError", "the checker's code is not valid base64");
        return 1;
    }
    if (strcmp(runtime, "python3") == 0) {
        c->python = true;
        return 0;
    }
    if (strcmp(runtime, "c11") != 0 && strcmp(runtime, "cpp17") != 0) {
        *outcome = ex_outcome_failed("CheckerError", "checkers run as c11, cpp17 or python3, not %s",
                                     runtime);
        return 1;
    }
    char key[65], err[256];
    checker_key(x, runtime, c->source, c->source_len, key);
    if (x->cache && (c->fd = ex_cache_open_blob(x->cache, NULL, key, err, sizeof err)) >= 0)
        return 0;
    c->fd = -1;
    struct sbx_result cres;
    int rc = compile_source(x, runtime, c->source, c->source_len, &cres);
    if (rc == 0) {
        c->binary = cres.files[0].data;
        c->binary_len = cres.files[0].len;
        cres.files[0].data = NULL;
        if (x->cache)
            ex_cache_put(x->cache, key, c->binary, c->binary_len);
    } else if (rc == 1) {
        size_t n;
        char *text = compiler_message(&cres, &n);
        if (text)
            jg_utf8_sanitize(text);
        *outcome = ex_outcome_failed("CheckerError", "the checker does not compile: %.900s",
                                     text ? text : "");
        free(text);
    } else if (rc == -EIO) {
        *outcome = ex_outcome_failed("SandboxError", "compiling the checker: %s", cres.message);
        rc = 1;
    }
    sbx_result_free(&cres);
    return rc;
}

/* What a checker said: its stderr (testlib writes there), else its stdout; one line of text. */
static void checker_message(const struct sbx_result *res, char *msg, size_t len)
{
    const struct sbx_output *o = res->err.len ? &res->err : &res->out;
    size_t n = o->len < len - 1 ? o->len : len - 1;
    memcpy(msg, o->data ? o->data : "", n);
    msg[n] = '\0';
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (msg[i] == '\0')
            msg[i] = ' ';
    jg_utf8_sanitize(msg);
}

/* One side of a check: bytes in memory, or a file by descriptor. */
struct data {
    const void *bytes;
    size_t len;
    int fd;
};

/* Run the custom checker on one test. Returns 0 with *verdict (OK, WA or PE) and msg set, -EIO
 * with *failed set (the checker failed: exit 3, crashed, or over its limits), or -ECANCELED. */
static int run_checker(struct program *p, struct data input, struct data output,
                       struct data answer, const char **verdict, char *msg, size_t msglen,
                       json_t **failed)
{
    const struct ex_exec *x = p->x;
    const struct checker_prog *c = &p->cprog;
    const char *py[] = {x->cfg->python, "-I", "-B", "checker.py", "input.txt", "output.txt",
                        "answer.txt", NULL};
    const char *bin[] = {"./checker", "input.txt", "output.txt", "answer.txt", NULL};
    struct sbx_file_in in[] = {
        c->python ? (struct sbx_file_in){"checker.py", c->source, c->source_len, -1, 0644}
                  : (struct sbx_file_in){"checker", c->binary, c->binary_len, c->fd, 0755},
        {"input.txt", input.bytes, input.len, input.fd, 0644},
        {"output.txt", output.bytes, output.len, output.fd, 0644},
        {"answer.txt", answer.bytes, answer.len, answer.fd, 0644},
    };
    struct sbx_run run = {.argv = c->python ? py : bin, .envp = ex_run_env, .stdin_fd = -1,
                          .files_in = in, .nfiles_in = 4};
    run.limits.cpu_ms = (uint64_t)x->cfg->compile_cpu_ms;
    run.limits.wall_ms = 2 * (uint64_t)x->cfg->compile_cpu_ms + 5000;
    run.limits.memory_kb = (uint64_t)x->cfg->compile_memory_mb * 1024;
    run.limits.output_bytes = 64u << 10;
    run.limits.processes = 32;
    sbx_limits_default(&run.limits);
    struct sbx_result res;
    ex_runner_run(x->runner, &run, &res);
    int rc = 0;
    checker_message(&res, msg, msglen);
    if (res.verdict == SBX_INTERNAL) {
        rc = res.cancelled ? -ECANCELED : -EIO;
        if (rc == -EIO)
            *failed = ex_outcome_failed("SandboxError", "running the checker: %s", res.message);
    } else if (res.verdict == SBX_OK || (res.verdict == SBX_RE_EXIT && res.exit_code <= 2)) {
        static const char *const codes[] = {"OK", "WA", "PE"};
        *verdict = codes[res.verdict == SBX_OK ? 0 : res.exit_code];
    } else if (res.verdict == SBX_RE_EXIT && res.exit_code == 3) {
        *failed = ex_outcome_failed("CheckerFailed", "the checker reported a failure: %s", msg);
        rc = -EIO;
    } else {
        char why[64];
        if (res.verdict == SBX_RE_EXIT)
            snprintf(why, sizeof why, "exit code %d", res.exit_code);
        else
            snprintf(why, sizeof why, "%s", ex_verdict_of(res.verdict));
        *failed = ex_outcome_failed("CheckerError", "the checker ended with %s (%s): %s", why,
                                    res.message, msg);
        rc = -EIO;
    }
    sbx_result_free(&res);
    return rc;
}

/* Check the program's output @p got of a run whose input was @p input. Sets *verdict and, for a
 * custom checker, @p msg. Returns 0, -EIO with *failed set, or -ECANCELED. */
static int check(struct program *p, struct data input, const struct sbx_output *got,
                 struct data expected, const char **verdict, char *msg, size_t msglen,
                 json_t **failed)
{
    msg[0] = '\0';
    if (p->checker.type != EX_CHECK_CUSTOM) {
        *verdict = ex_check_output(&p->checker, got->data ? got->data : "", got->len,
                                   expected.bytes, expected.len);
        return 0;
    }
    struct data out = {got->data ? got->data : "", got->len, -1};
    return run_checker(p, input, out, expected, verdict, msg, msglen, failed);
}

/* --- running the program -------------------------------------------------------------------- */

static void run_program(const struct program *p, struct data input, struct sbx_result *res)
{
    const char *py[] = {p->pyenv.python, "-I", "-B", "main.py", NULL};
    const char *bin[] = {"./main", NULL};
    struct sbx_file_in in[] = {
        p->python ? (struct sbx_file_in){"main.py", p->job->code, p->job->code_len, -1, 0644}
                  : (struct sbx_file_in){"main", p->binary, p->binary_len, -1, 0755}};
    struct sbx_run run = {.argv = p->python ? py : bin, .envp = ex_run_env, .stdin_fd = input.fd,
                          .stdin_data = input.bytes, .stdin_len = input.len, .files_in = in,
                          .nfiles_in = 1, .binds = &p->pyenv.bind, .nbinds = p->pyenv.nbinds};
    ex_job_run_limits(&p->job->limits, &run.limits);
    ex_runner_run(p->x->runner, &run, res);
}

/* A test's input and expected output: base64 in the job, or blob hashes of a stored problem. */
static int test_data(struct program *p, const json_t *test, struct data *in, char **in_buf,
                     char **exp_buf, struct data *exp, json_t **failed)
{
    *in = (struct data){NULL, 0, -1};
    *exp = (struct data){NULL, 0, -1};
    *in_buf = *exp_buf = NULL;
    if (!p->stored) {
        size_t il, el;
        unsigned char *i = ex_b64_field(test, "input", &il), *e = ex_b64_field(test, "expected", &el);
        if (!i || !e) {
            free(i);
            free(e);
            return -ENOMEM;
        }
        *in_buf = (char *)i;
        *exp_buf = (char *)e;
        *in = (struct data){i, il, -1};
        *exp = (struct data){e, el, -1};
        return 0;
    }
    const struct ex_exec *x = p->x;
    char err[256];
    size_t el;
    int fd = ex_cache_open_blob(x->cache, x->http, json_string_value(json_object_get(test, "input")),
                                err, sizeof err);
    int rc = fd < 0 ? fd
                    : ex_cache_read(x->cache, x->http,
                                    json_string_value(json_object_get(test, "expected")), exp_buf,
                                    &el, err, sizeof err);
    if (rc) {
        if (fd >= 0)
            close(fd);
        *failed = ex_outcome_failed("TestDataError", "%s", err);
        return -EIO;
    }
    in->fd = fd;
    *exp = (struct data){*exp_buf, el, -1};
    return 0;
}

static int program_test(void *ctx, const json_t *test, json_t *rec, json_t **failed)
{
    struct program *p = ctx;
    struct data input, expected;
    char *in_buf, *exp_buf;
    int rc = test_data(p, test, &input, &in_buf, &exp_buf, &expected, failed);
    if (rc)
        return rc;
    struct sbx_result res;
    run_program(p, input, &res);
    const char *v = ex_verdict_of(res.verdict);
    char msg[CHECKER_MESSAGE_MAX] = "";
    if (!v) {
        if (res.cancelled)
            rc = -ECANCELED;
        else
            *failed = ex_outcome_failed("SandboxError", "%s", res.message), rc = -EIO;
        goto out;
    }
    if (strcmp(v, "OK") == 0 && (rc = check(p, input, &res.out, expected, &v, msg, sizeof msg,
                                            failed)))
        goto out;
    json_t *o = ex_outcome_of_run(v, &res, (size_t)p->x->cfg->excerpt_bytes);
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
        if (strcmp(key, "status") != 0)
            json_object_set(rec, key, val);
    json_decref(o);
    if (msg[0])
        json_object_set_new(rec, "message", json_string(msg));
out:
    sbx_result_free(&res);
    if (input.fd >= 0)
        close(input.fd);
    free(in_buf);
    free(exp_buf);
    return rc;
}

/* A stored problem's manifest (from the cache): its tests, and its checker and stop_on_failure
 * unless the job says otherwise. Returns 0 with *manifest set (a new reference), or 1 with
 * *outcome set. */
static int load_manifest(const struct ex_exec *x, const struct ex_job *job, json_t **manifest,
                         json_t **outcome)
{
    const char *hex = json_string_value(json_object_get(json_object_get(job->spec, "problem"),
                                                        "manifest"));
    char err[256], *text = NULL;
    size_t len;
    if (!x->cache) {
        *outcome = ex_outcome_failed("ExecutorError", "this executor has no test data cache");
        return 1;
    }
    if (!hex || ex_cache_read(x->cache, x->http, hex, &text, &len, err, sizeof err)) {
        *outcome = ex_outcome_failed("TestDataError", "problem manifest: %s",
                                     hex ? err : "missing");
        return 1;
    }
    json_error_t jerr;
    *manifest = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!json_is_array(json_object_get(*manifest, "tests"))) {
        json_decref(*manifest);
        *manifest = NULL;
        *outcome = ex_outcome_failed("TestDataError", "problem manifest %s is not valid", hex);
        return 1;
    }
    return 0;
}

/* Judge the tests (the job's or the problem's). Always sets *outcome unless cancelled. */
static int judge(struct program *p, const json_t *tests, bool stop, json_t **outcome)
{
    json_t *o = json_object(), *failed = NULL;
    int rc = ex_run_test_list(p->x, tests, stop, program_test, p, o, &failed);
    if (rc == -ECANCELED) {
        json_decref(o);
        json_decref(failed);
        return rc;
    }
    if (rc) {
        json_decref(o);
        o = failed ? failed : ex_outcome_failed("ExecutorError", "%s", strerror(-rc));
    }
    *outcome = o;
    return 0;
}

/* One run with stdin; with "expected", the output is checked too (and kept whole). */
static int single_run(struct program *p, json_t **outcome)
{
    size_t in_len, exp_len = 0;
    const json_t *exp_field = json_object_get(p->job->spec, "expected");
    unsigned char *input = ex_b64_field(p->job->spec, "stdin", &in_len);
    unsigned char *expected = exp_field ? ex_b64_field(p->job->spec, "expected", &exp_len) : NULL;
    if (!input || (exp_field && !expected)) {
        free(input);
        free(expected);
        *outcome = ex_outcome_failed("ExecutorError", "stdin or expected is not valid base64");
        return 0;
    }
    struct data in = {input, in_len, -1};
    struct sbx_result res;
    run_program(p, in, &res);
    int rc = 0;
    const char *v = ex_verdict_of(res.verdict);
    char msg[CHECKER_MESSAGE_MAX] = "";
    json_t *failed = NULL;
    if (!v) {
        if (res.cancelled)
            rc = -ECANCELED;
        else
            *outcome = ex_outcome_failed("SandboxError", "%s", res.message);
        goto out;
    }
    if (expected && strcmp(v, "OK") == 0) {
        rc = check(p, in, &res.out, (struct data){expected, exp_len, -1}, &v, msg, sizeof msg,
                   &failed);
        if (rc == -EIO) {
            *outcome = failed;
            rc = 0;
            goto out;
        }
        if (rc)
            goto out;
    }
    *outcome = ex_outcome_of_run(v, &res, 0);
    if (msg[0])
        json_object_set_new(*outcome, "message", json_string(msg));
out:
    sbx_result_free(&res);
    free(input);
    free(expected);
    return rc;
}

int ex_program(const struct ex_exec *x, const struct ex_job *job, json_t **outcome)
{
    struct program p = {.x = x, .job = job, .python = strcmp(job->runtime, "python3") == 0,
                        .cprog = {.fd = -1}};
    json_t *manifest = NULL;
    const json_t *tests = json_object_get(job->spec, "tests");
    const json_t *checker = json_object_get(job->spec, "checker");
    const json_t *stop = json_object_get(job->spec, "stop_on_failure");
    struct sbx_result cres;
    memset(&cres, 0, sizeof cres);
    int rc = 0;
    if (json_object_get(job->spec, "problem")) {
        if ((rc = load_manifest(x, job, &manifest, outcome)))
            goto out;
        p.stored = true;
        tests = json_object_get(manifest, "tests");
        checker = checker ? checker : json_object_get(manifest, "checker");
        stop = stop ? stop : json_object_get(manifest, "stop_on_failure");
    }
    char err[160];
    if ((tests || json_object_get(job->spec, "expected")) &&
        ex_checker_parse(checker, &p.checker, err, sizeof err)) {
        *outcome = ex_outcome_failed("UnsupportedChecker", "%s", err);
        goto out;
    }
    p.custom = checker;
    if (p.python && ex_pyenv_init(x, job, &p.pyenv, outcome))
        goto out;
    if (!p.python) {
        rc = compile(x, job, &cres, outcome);
        if (rc)
            goto out;
        p.binary = cres.files[0].data;
        p.binary_len = cres.files[0].len;
    }
    if (p.checker.type == EX_CHECK_CUSTOM && (rc = prepare_checker(&p, outcome)))
        goto out;
    if (atomic_load(x->cancelled)) {
        rc = -ECANCELED;
        goto out;
    }
    rc = tests ? judge(&p, tests, !json_is_false(stop), outcome) : single_run(&p, outcome);
out:
    if (rc == 1)
        rc = 0;
    json_decref(manifest);
    checker_prog_free(&p.cprog);
    sbx_result_free(&cres);
    return rc;
}

/* The first line a command prints (its version), or "" when it cannot be run. */
static void first_line(const char *prog, const char *arg, char *out, size_t len)
{
    char cmd[600];
    out[0] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", prog, arg);
    FILE *f = strchr(prog, '\'') ? NULL : popen(cmd, "r");
    if (!f)
        return;
    if (fgets(out, (int)len, f))
        out[strcspn(out, "\n")] = '\0';
    pclose(f);
}

json_t *ex_runtime_info(const struct ex_config *cfg)
{
    json_t *info = json_object();
    static const char *const rts[] = {"c11", "cpp17", "python3"};
    for (int i = 0; i < 3; i++) {
        if (!ex_config_has_runtime(cfg, rts[i]))
            continue;
        char version[256], compile[600] = "", run[600];
        if (i < 2) {
            const char *src, *argv[8];
            compiler_argv(cfg, rts[i], argv, &src);
            size_t n = 0;
            for (int k = 0; argv[k] && n < sizeof compile; k++)
                n += (size_t)snprintf(compile + n, sizeof compile - n, "%s%s", k ? " " : "", argv[k]);
            first_line(argv[0], "--version", version, sizeof version);
            snprintf(run, sizeof run, "./main");
        } else {
            first_line(cfg->python, "--version", version, sizeof version);
            snprintf(run, sizeof run, "%s -I -B main.py", cfg->python);
        }
        json_t *o = json_pack("{s:s, s:s}", "version", version, "run", run);
        if (compile[0])
            json_object_set_new(o, "compile", json_string(compile));
        json_object_set_new(info, rts[i], o);
    }
    return info;
}
