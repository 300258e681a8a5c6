/* Runtimes: turn a leased job into sandbox runs and the runs into the result document the gateway
 * records (PUT /jobs/<id>/result, minus the lease). */
#ifndef EX_RUNTIME_H
#define EX_RUNTIME_H

#include <jansson.h>
#include <stdatomic.h>

#include "config.h"
#include "job.h"
#include "runner.h"
#include "sandbox.h"

struct ex_cache;
struct ex_http;

/* What a runtime needs to run one job on one slot. */
struct ex_exec {
    struct ex_runner *runner;
    const struct ex_config *cfg;
    const atomic_bool *cancelled; /* set when the gateway cancels the job or the executor stops */
    struct ex_http *http;         /* the slot's connection to the gateway (blob downloads); may be NULL */
    struct ex_cache *cache;       /* test data and compiled checkers (cache.h); may be NULL */
    /* Called after each test with the records so far (borrowed) and the number of tests: the
     * daemon posts them (PUT /jobs/<id>/progress) so GET /jobs/<id> shows them. May be NULL. */
    void (*progress)(void *ctx, const json_t *tests, size_t total);
    void *progress_ctx;
};

/* Run @p job to its end. Returns 0 with *outcome set (a new reference: status completed with a
 * verdict, or failed with an error), or -ECANCELED when the job was cancelled (no outcome). */
int ex_runtime_run(const struct ex_exec *x, const struct ex_job *job, json_t **outcome);

/* --- shared by the runtimes (runtime.c) --- */

/* The job verdict of a finished sandbox run (OK, RE, SYS, OLE, MLE, TLE), NULL for SBX_INTERNAL. */
const char *ex_verdict_of(enum sbx_verdict v);

/* {"status":"failed","error":{type,message,traceback:""}}. */
json_t *ex_outcome_failed(const char *type, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A completed outcome with verdict, usage, exit_code/signal and stdout/stderr of @p res; output is
 * cut to @p excerpt bytes when excerpt > 0 (then the *_truncated flags also cover the cut). */
json_t *ex_outcome_of_run(const char *verdict, const struct sbx_result *res, size_t excerpt);

/* obj[key] = base64(data). Returns 0 or -ENOMEM. */
int ex_put_b64(json_t *obj, const char *key, const void *data, size_t len);

/* The environment of every run: PATH, HOME, LANG, TMPDIR. */
extern const char *const ex_run_env[];

/* Called for each test with its spec entry; runs it and fills rec (verdict, usage, exit_code, signal,
 * output excerpt...). Returns 0, -ECANCELED, or another -errno with *failed set to a failed outcome. */
typedef int (*ex_test_fn)(void *ctx, const json_t *test, json_t *rec, json_t **failed);

/* Run every test of the job (stopping at the first failure unless stop_on_failure is false) and add
 * tests, score, max_score, usage (CPU and wall summed, memory the peak) and the verdict (the first
 * failing test's, or OK) to @p outcome. Returns 0, or the test function's error. */
int ex_run_tests(const struct ex_exec *x, const struct ex_job *job, ex_test_fn fn, void *ctx,
                 json_t *outcome, json_t **failed);

/* The same for an explicit test list (a stored problem's). Scoring: a test earns its "points"
 * (default 1) when it passes; tests sharing a "group" are a subtask that earns the sum of its
 * tests' points only when every one of them ran and passed. With groups, @p outcome also gets
 * "groups": [{name, score, max_score, verdict, tests}] in order of first appearance. */
int ex_run_test_list(const struct ex_exec *x, const json_t *tests, bool stop_on_failure,
                     ex_test_fn fn, void *ctx, json_t *outcome, json_t **failed);

/* What this executor runs for each of its runtimes: {"c11": {version, compile, run}, ...}, the
 * version as the compiler or interpreter prints it (runs them: call before starting threads). */
json_t *ex_runtime_info(const struct ex_config *cfg);

/* Start the slot's Python zygote now rather than at its first call or function job (python.c); it is
 * started then anyway when this fails. Call from the slot's worker before it takes jobs. */
void ex_python_warm_up(struct ex_runner *r, const struct ex_config *cfg);

/* Per kind (python.c, program.c). Same contract as ex_runtime_run. */
int ex_python_call(const struct ex_exec *x, const struct ex_job *job, json_t **outcome);
int ex_python_function(const struct ex_exec *x, const struct ex_job *job, json_t **outcome);
int ex_program(const struct ex_exec *x, const struct ex_job *job, json_t **outcome);

#endif
