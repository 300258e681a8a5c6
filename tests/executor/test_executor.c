/* Unit tests of the executor's pure parts. */
#include <check.h>
#include <pthread.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "config.h"
#include "daemon.h"
#include "job.h"
#include "runner.h"
#include "runtimes/checker.h"
#include "runtimes/runtime.h"
#include "runtimes/venv.h"
#include "sha256.h"

/* --- options ------------------------------------------------------------------------------------- */

static enum ex_config_status load(struct ex_config *cfg, int argc, const char **argv)
{
    return ex_config_load(cfg, argc, (char **)argv);
}

START_TEST(config_defaults_and_overrides)
{
    struct ex_config cfg;
    unsetenv("JOBGATE_SLOTS");
    setenv("JOBGATE_TOKEN", "from-env", 1);
    const char *argv[] = {"x", "--gateway", "http://gw:8080/", "--slots=3", "--min-isolation", "minimum"};
    ck_assert_int_eq(load(&cfg, 6, argv), EX_CONFIG_OK);
    ck_assert_str_eq(cfg.gateway, "http://gw:8080"); /* trailing slash dropped */
    ck_assert_str_eq(cfg.token, "from-env");
    ck_assert_int_eq(cfg.slots, 3);
    ck_assert_int_eq(cfg.min_isolation, EX_ISOLATION_MINIMUM);
    ck_assert_str_eq(cfg.runtimes, "python3,c11,cpp17");
    ck_assert(ex_config_has_runtime(&cfg, "c11"));
    ck_assert(!ex_config_has_runtime(&cfg, "c1"));
    const char *argv2[] = {"x", "--gateway", "http://gw"};
    ck_assert_int_eq(load(&cfg, 3, argv2), EX_CONFIG_OK);
    ck_assert_int_gt(cfg.slots, 0); /* 0 = number of CPUs */
    ck_assert_int_eq(cfg.min_isolation, EX_ISOLATION_STRICT);
    unsetenv("JOBGATE_TOKEN");
}
END_TEST

START_TEST(prefetch_follows_run_times)
{
    struct ex_config cfg;
    const char *argv[] = {"x", "--gateway", "http://gw", "--token", "t", "--slots", "3"};
    ck_assert_int_eq(load(&cfg, 7, argv), EX_CONFIG_OK);
    ck_assert_int_eq(cfg.prefetch, -1); /* by default: ahead while jobs are short */
    struct ex_daemon d = {.cfg = &cfg, .run_ms_avg = -1};
    ck_assert_int_eq(ex_lease_held_max(&d), 3); /* nothing known yet: a job per free slot */
    d.run_ms_avg = 4;
    ck_assert_int_eq(ex_lease_held_max(&d), 6); /* short jobs: as many again, leased ahead */
    d.run_ms_avg = 2500;
    ck_assert_int_eq(ex_lease_held_max(&d), 3); /* long jobs are left to other executors */
    const char *fixed[] = {"x", "--gateway", "http://gw", "--token", "t", "--slots", "3", "--prefetch", "0"};
    ck_assert_int_eq(load(&cfg, 9, fixed), EX_CONFIG_OK);
    d.run_ms_avg = 4;
    ck_assert_int_eq(ex_lease_held_max(&d), 3);
    fixed[8] = "5";
    ck_assert_int_eq(load(&cfg, 9, fixed), EX_CONFIG_OK);
    d.run_ms_avg = 2500;
    ck_assert_int_eq(ex_lease_held_max(&d), 8);
}
END_TEST

START_TEST(config_rejects_bad_input)
{
    struct ex_config cfg;
    unsetenv("JOBGATE_TOKEN");
    const char *missing[] = {"x", "--gateway", "http://gw"};
    ck_assert_int_eq(load(&cfg, 3, missing), EX_CONFIG_ERROR);
    const char *scheme[] = {"x", "--gateway", "file:///etc/passwd", "--token", "t"};
    ck_assert_int_eq(load(&cfg, 5, scheme), EX_CONFIG_ERROR);
    const char *slots[] = {"x", "--gateway", "http://g", "--token", "t", "--slots", "999"};
    ck_assert_int_eq(load(&cfg, 7, slots), EX_CONFIG_ERROR);
    const char *iso[] = {"x", "--gateway", "http://g", "--token", "t", "--min-isolation", "weak"};
    ck_assert_int_eq(load(&cfg, 7, iso), EX_CONFIG_ERROR);
    const char *bare[] = {"x", "--gateway", "http://g", "--token", "t", "--backend", "bare"};
    ck_assert_int_eq(load(&cfg, 7, bare), EX_CONFIG_ERROR); /* bare needs --min-isolation none */
    const char *rt[] = {"x", "--gateway", "http://g", "--token", "t", "--runtimes", "python3,java"};
    ck_assert_int_eq(load(&cfg, 7, rt), EX_CONFIG_ERROR);
    const char *unknown[] = {"x", "--gateway", "http://g", "--token", "t", "--frobnicate", "1"};
    ck_assert_int_eq(load(&cfg, 7, unknown), EX_CONFIG_ERROR);
    const char *help[] = {"x", "--help"};
    ck_assert_int_eq(load(&cfg, 2, help), EX_CONFIG_HELP);
}
END_TEST

/* --- jobs ---------------------------------------------------------------------------------------- */

static json_t *lease_entry(const char *spec)
{
    json_error_t e;
    json_t *s = json_loads(spec, 0, &e);
    ck_assert_ptr_nonnull(s);
    return json_pack("{s:s, s:i, s:s, s:s, s:o}", "id", "0b0c5c4e-1111-4a4a-8888-000000000001", "attempt", 2,
                     "lease", "0b0c5c4e-2222-4a4a-8888-000000000002", "runtime", "c11", "spec", s);
}

START_TEST(job_parse_and_limits)
{
    json_t *j = lease_entry("{\"kind\":\"program\",\"runtime\":\"c11\",\"code\":\"aGk=\",\"stdin\":\"\","
                            "\"limits\":{\"cpu_ms\":1500,\"wall_ms\":4000,\"memory_mb\":64,\"output_kb\":8,"
                            "\"processes\":4}}");
    struct ex_job job;
    char err[160];
    ck_assert_int_eq(ex_job_parse(j, &job, err, sizeof err), 0);
    ck_assert_int_eq(job.kind, EX_KIND_PROGRAM);
    ck_assert_int_eq(job.attempt, 2);
    ck_assert_uint_eq(job.code_len, 2);
    ck_assert_mem_eq(job.code, "hi", 2);
    struct sbx_limits lim;
    ex_job_run_limits(&job.limits, &lim);
    ck_assert_uint_eq(lim.cpu_ms, 1500);
    ck_assert_uint_eq(lim.wall_ms, 4000);
    ck_assert_uint_eq(lim.memory_kb, 64 * 1024);
    ck_assert_uint_eq(lim.output_bytes, 8 * 1024);
    ck_assert_uint_eq(lim.stderr_bytes, 8 * 1024);
    ck_assert_uint_eq(lim.file_size_bytes, 1u << 20); /* at least 1 MiB for the runtimes' own files */
    ck_assert_uint_eq(lim.processes, 4);
    ex_job_free(&job);
    json_decref(j);
}
END_TEST

START_TEST(job_parse_rejects)
{
    static const char *const bad[] = {
        "{\"kind\":\"spell\",\"code\":\"aGk=\",\"limits\":{}}",
        "{\"kind\":\"call\",\"code\":\"a\",\"limits\":{\"cpu_ms\":1,\"wall_ms\":1,\"memory_mb\":1,"
        "\"output_kb\":1,\"processes\":1}}",
        "{\"kind\":\"call\",\"code\":\"aGk=\",\"limits\":{\"cpu_ms\":0,\"wall_ms\":1,\"memory_mb\":1,"
        "\"output_kb\":1,\"processes\":1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = lease_entry(bad[i]);
        struct ex_job job;
        char err[160] = "";
        ck_assert_int_ne(ex_job_parse(j, &job, err, sizeof err), 0);
        ck_assert(err[0]);
        ck_assert_str_eq(job.id, "0b0c5c4e-1111-4a4a-8888-000000000001"); /* still reportable */
        ex_job_free(&job);
        json_decref(j);
    }
}
END_TEST

/* --- checkers (data-driven) ---------------------------------------------------------------------- */

static const struct {
    const char *checker, *got, *expected, *verdict;
} output_cases[] = {
    {"\"exact\"", "3\n", "3\n", "OK"},
    {"\"exact\"", "3", "3\n", "PE"},
    {"\"exact\"", "4\n", "3\n", "WA"},
    {NULL /* default: lines */, "1 2  \n3\n\n\n", "1 2\n3", "OK"},
    {"\"lines\"", "1  2\n", "1 2\n", "PE"},
    {"\"lines\"", "1\n2\n", "1 2\n", "PE"},
    {"\"lines\"", "1\n", "1\n2\n", "WA"},
    {"\"lines\"", "", "", "OK"},
    {"\"tokens\"", "1\n2   3\n", "1 2 3", "OK"},
    {"\"tokens\"", "1 2", "1 2 3", "WA"},
    {"\"float\"", "3.1415905 x", "3.14159 x", "OK"},
    {"{\"type\":\"float\",\"abs_tol\":1e-6}", "3.1416", "3.14159", "WA"},
    {"{\"type\":\"float\",\"rel_tol\":0.01}", "1000", "1009", "OK"},
    {"{\"type\":\"float\",\"rel_tol\":0.01}", "1000", "1011", "WA"},
    {"\"float\"", "nan", "nan", "OK"},
    {"\"float\"", "abc", "abd", "WA"},
};

/* --allow-network-labels / --allow-network-runtimes: which jobs get the executor's network. */
START_TEST(job_network_grant)
{
    struct ex_config cfg;
    const char *argv[] = {"x", "--gateway", "http://g", "--token", "t", "--allow-network-labels",
                          "network=host,zone=lab", "--allow-network-runtimes", "cpp17"};
    ck_assert_int_eq(load(&cfg, 9, argv), EX_CONFIG_OK);
    static const struct {
        const char *labels; /* NULL: the lease entry has none (an older gateway) */
        const char *runtime;
        enum sbx_network want;
    } cases[] = {
        {"{\"network\":\"host\"}", "c11", SBX_NETWORK_HOST},
        {"{\"a\":\"b\",\"zone\":\"lab\"}", "c11", SBX_NETWORK_HOST},
        {"{\"network\":\"yes\"}", "c11", SBX_NETWORK_NONE},
        {"{\"network=host\":\"\"}", "c11", SBX_NETWORK_NONE},
        {"{}", "c11", SBX_NETWORK_NONE},
        {NULL, "c11", SBX_NETWORK_NONE},
        {NULL, "cpp17", SBX_NETWORK_HOST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = lease_entry("{\"kind\":\"program\",\"code\":\"aGk=\",\"limits\":{\"cpu_ms\":1,"
                                "\"wall_ms\":1,\"memory_mb\":1,\"output_kb\":1,\"processes\":1}}");
        json_object_set_new(j, "runtime", json_string(cases[i].runtime));
        if (cases[i].labels)
            json_object_set_new(j, "labels", json_loads(cases[i].labels, 0, NULL));
        struct ex_job job;
        char err[160];
        ck_assert_int_eq(ex_job_parse(j, &job, err, sizeof err), 0);
        ck_assert_msg(ex_job_network(&job, &cfg) == cases[i].want, "case %zu", i);
        ex_job_free(&job);
        json_decref(j);
    }
    const char *none[] = {"x", "--gateway", "http://g", "--token", "t"};
    ck_assert_int_eq(load(&cfg, 5, none), EX_CONFIG_OK);
    ck_assert_str_eq(cfg.allow_network_labels, ""); /* off by default */
    ck_assert_str_eq(cfg.allow_network_runtimes, "");
    const char *bad[] = {"x", "--gateway", "http://g", "--token", "t", "--allow-network-labels", "network"};
    ck_assert_int_eq(load(&cfg, 7, bad), EX_CONFIG_ERROR);
    bad[6] = "a=b,=c";
    ck_assert_int_eq(load(&cfg, 7, bad), EX_CONFIG_ERROR);
}
END_TEST

START_TEST(checker_output)
{
    size_t n = sizeof output_cases / sizeof *output_cases;
    for (size_t i = 0; i < n; i++) {
        json_error_t e;
        json_t *spec = output_cases[i].checker ? json_loads(output_cases[i].checker, JSON_DECODE_ANY, &e) : NULL;
        struct ex_checker c;
        char err[160];
        ck_assert_int_eq(ex_checker_parse(spec, &c, err, sizeof err), 0);
        const char *v = ex_check_output(&c, output_cases[i].got, strlen(output_cases[i].got),
                                        output_cases[i].expected, strlen(output_cases[i].expected));
        ck_assert_msg(strcmp(v, output_cases[i].verdict) == 0, "case %zu: %s, expected %s", i, v,
                      output_cases[i].verdict);
        json_decref(spec);
    }
}
END_TEST

START_TEST(checker_custom_recognised)
{
    json_t *spec = json_pack("{s:s, s:s, s:s}", "type", "custom", "runtime", "c11", "code", "aGk=");
    json_t *half = json_pack("{s:s, s:s}", "type", "custom", "runtime", "c11");
    struct ex_checker c;
    char err[160];
    ck_assert_int_eq(ex_checker_parse(spec, &c, err, sizeof err), 0);
    ck_assert_int_eq(c.type, EX_CHECK_CUSTOM); /* program.c compiles and runs it */
    ck_assert_int_eq(ex_checker_parse(half, &c, err, sizeof err), -EINVAL);
    json_decref(spec);
    json_decref(half);
}
END_TEST

/* --- test lists: points, groups, stop_on_failure -------------------------------------------------- */

/* A test function that answers each test's "want" verdict. */
static int scripted_test(void *ctx, const json_t *test, json_t *rec, json_t **failed)
{
    (void)ctx, (void)failed;
    json_object_set(rec, "verdict", json_object_get(test, "want"));
    json_object_set_new(rec, "usage", json_pack("{s:i, s:i, s:i}", "cpu_ms", 2, "wall_ms", 3,
                                                "memory_kb", 100));
    return 0;
}

static int progress_calls;
static void count_progress(void *ctx, const json_t *tests, size_t total)
{
    (void)ctx;
    ck_assert_int_eq(total, 5);
    ck_assert_int_eq(json_array_size(tests), (size_t)++progress_calls);
}

START_TEST(test_list_groups_and_points)
{
    json_error_t e;
    json_t *tests = json_loads(
        "[{\"want\":\"OK\",\"points\":2},"
        " {\"want\":\"OK\",\"group\":\"a\",\"points\":5},"
        " {\"want\":\"WA\",\"group\":\"a\",\"points\":5},"
        " {\"want\":\"OK\",\"group\":\"b\",\"points\":10},"
        " {\"want\":\"OK\",\"group\":\"b\"}]", 0, &e);
    atomic_bool cancelled = false;
    struct ex_exec x = {.cancelled = &cancelled, .progress = count_progress};
    json_t *o = json_object(), *failed = NULL;
    progress_calls = 0;
    ck_assert_int_eq(ex_run_test_list(&x, tests, false, scripted_test, NULL, o, &failed), 0);
    /* Every test ran; group a failed as a whole, group b passed as a whole. */
    ck_assert_int_eq(progress_calls, 5);
    ck_assert_str_eq(json_string_value(json_object_get(o, "verdict")), "WA");
    ck_assert_double_eq(json_number_value(json_object_get(o, "score")), 13);
    ck_assert_double_eq(json_number_value(json_object_get(o, "max_score")), 23);
    json_t *want = json_loads("[{\"name\":\"a\",\"score\":0.0,\"max_score\":10.0,\"verdict\":\"WA\","
                              "\"tests\":2},{\"name\":\"b\",\"score\":11.0,\"max_score\":11.0,"
                              "\"verdict\":\"OK\",\"tests\":2}]", 0, &e);
    ck_assert(json_equal(json_object_get(o, "groups"), want));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "usage"), "cpu_ms")), 10);
    json_decref(o);
    json_decref(want);

    /* Stopping at the first failure: group b never ran, so it cannot score. */
    o = json_object();
    x.progress = NULL;
    ck_assert_int_eq(ex_run_test_list(&x, tests, true, scripted_test, NULL, o, &failed), 0);
    ck_assert_int_eq(json_array_size(json_object_get(o, "tests")), 3);
    ck_assert_double_eq(json_number_value(json_object_get(o, "score")), 2);
    json_t *b = json_array_get(json_object_get(o, "groups"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(b, "verdict")), "SKIPPED");
    ck_assert_double_eq(json_number_value(json_object_get(b, "score")), 0);
    json_decref(o);
    json_decref(tests);
}
END_TEST

/* --- the test data cache ---------------------------------------------------------------------------- */

static void hex_of(const char *s, char out[65])
{
    jg_sha256_hex(s, strlen(s), out);
}

START_TEST(cache_puts_evicts_lru_and_reindexes)
{
    char dir[] = "/tmp/jobgate-cache-test-XXXXXX", err[256], k1[65], k2[65], k3[65];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    hex_of("one", k1);
    hex_of("two", k2);
    hex_of("three", k3);
    struct ex_cache *c;
    ck_assert_int_eq(ex_cache_open(&c, dir, 10, err, sizeof err), 0);
    ck_assert_int_eq(ex_cache_put(c, k1, "1111", 4), 0);
    ck_assert_int_eq(ex_cache_put(c, k2, "2222", 4), 0);
    int fd = ex_cache_open_blob(c, NULL, k1, err, sizeof err); /* k1 is now the most recent */
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(ex_cache_put(c, k3, "3333", 4), 0); /* 12 > 10 bytes: k2 goes */
    ck_assert_int_eq(ex_cache_open_blob(c, NULL, k2, err, sizeof err), -ENOENT);
    char *data;
    size_t len;
    ck_assert_int_eq(ex_cache_read(c, NULL, k1, &data, &len, err, sizeof err), 0);
    ck_assert_str_eq(data, "1111");
    free(data);
    struct ex_cache_stats st;
    ex_cache_stats(c, &st);
    ck_assert_int_eq(st.entries, 2);
    ck_assert_int_eq(st.bytes, 8);
    ck_assert_int_eq(st.evictions, 1);
    ck_assert_int_eq(ex_cache_put(c, "not-a-hash", "x", 1), -EINVAL);
    ex_cache_close(c);
    /* A new process finds what the last one left, and trims to its own bound. */
    ck_assert_int_eq(ex_cache_open(&c, dir, 4, err, sizeof err), 0);
    ex_cache_stats(c, &st);
    ck_assert_int_eq(st.entries, 1);
    ck_assert_int_eq(st.bytes, 4);
    ex_cache_close(c);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(checker_values)
{
    struct ex_checker exact = {EX_CHECK_LINES, 0, 0}, fl = {EX_CHECK_FLOAT, 1e-3, 0};
    json_error_t e;
    json_t *a = json_loads("{\"x\":[1,2.0,{\"y\":null}],\"z\":\"s\"}", 0, &e);
    json_t *b = json_loads("{\"z\":\"s\",\"x\":[1,2,{\"y\":null}]}", 0, &e);
    json_t *c = json_loads("{\"z\":\"s\",\"x\":[1,2.0001,{\"y\":null}]}", 0, &e);
    json_t *d = json_loads("{\"z\":\"s\",\"x\":[1,2,{\"y\":false}]}", 0, &e);
    ck_assert(ex_check_value(&exact, a, b));
    ck_assert(!ex_check_value(&exact, a, c));
    ck_assert(ex_check_value(&fl, a, c));
    ck_assert(!ex_check_value(&fl, a, d));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
}
END_TEST

/* --- verdicts and outcome documents ---------------------------------------------------------------- */

START_TEST(verdict_mapping)
{
    ck_assert_str_eq(ex_verdict_of(SBX_OK), "OK");
    ck_assert_str_eq(ex_verdict_of(SBX_RE_EXIT), "RE");
    ck_assert_str_eq(ex_verdict_of(SBX_RE_SIGNAL), "RE");
    ck_assert_str_eq(ex_verdict_of(SBX_SYS), "SYS");
    ck_assert_str_eq(ex_verdict_of(SBX_OLE), "OLE");
    ck_assert_str_eq(ex_verdict_of(SBX_MLE), "MLE");
    ck_assert_str_eq(ex_verdict_of(SBX_TLE_CPU), "TLE");
    ck_assert_str_eq(ex_verdict_of(SBX_TLE_WALL), "TLE");
    ck_assert_ptr_null(ex_verdict_of(SBX_INTERNAL));
}
END_TEST

START_TEST(outcome_of_run)
{
    struct sbx_result r;
    memset(&r, 0, sizeof r);
    char out[] = "hello world", err[] = "";
    r.out = (struct sbx_output){out, 11, 11, false};
    r.err = (struct sbx_output){err, 0, 0, false};
    r.signal = 11;
    r.cpu_ms = 5;
    json_t *o = ex_outcome_of_run("RE", &r, 5);
    ck_assert_str_eq(json_string_value(json_object_get(o, "stdout")), "aGVsbG8="); /* "hello" */
    ck_assert(json_is_true(json_object_get(o, "stdout_truncated")));
    ck_assert(json_is_null(json_object_get(o, "exit_code")));
    ck_assert_int_eq(json_integer_value(json_object_get(o, "signal")), 11);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "usage"), "cpu_ms")), 5);
    json_decref(o);
}
END_TEST

/* --- the bare backend: real processes -------------------------------------------------------------- */

static int bare(const char *const *argv, struct sbx_limits lim, const char *in, struct sbx_result *res)
{
    struct ex_runner r;
    memset(&r, 0, sizeof r);
    snprintf(r.work_dir, sizeof r.work_dir, "/tmp");
    r.uid = 60000;
    struct sbx_file_out out[] = {{"f", 0}};
    struct sbx_file_in fin[] = {{"f", "data", 4, -1, 0644}};
    struct sbx_run run = {.argv = argv, .envp = ex_run_env, .stdin_fd = -1, .stdin_data = in,
                          .stdin_len = in ? strlen(in) : 0, .files_in = fin, .nfiles_in = 1, .files_out = out,
                          .nfiles_out = 1, .limits = lim};
    return ex_bare_run(&r, &run, res);
}

START_TEST(bare_runs_and_verdicts)
{
    struct sbx_result res;
    struct sbx_limits lim = {0};
    const char *cat[] = {"/bin/cat", NULL};
    ck_assert_int_eq(bare(cat, lim, "abc", &res), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    ck_assert_str_eq(res.out.data, "abc");
    ck_assert_int_eq(res.files[0].error, 0);
    ck_assert_str_eq(res.files[0].data, "data");
    sbx_result_free(&res);

    const char *exit3[] = {"/bin/sh", "-c", "exit 3", NULL};
    bare(exit3, lim, NULL, &res);
    ck_assert_int_eq(res.verdict, SBX_RE_EXIT);
    ck_assert_int_eq(res.exit_code, 3);
    sbx_result_free(&res);

    const char *sleepy[] = {"/bin/sleep", "5", NULL};
    struct sbx_limits wall = {.wall_ms = 200};
    bare(sleepy, wall, NULL, &res);
    ck_assert_int_eq(res.verdict, SBX_TLE_WALL);
    ck_assert_uint_lt(res.wall_ms, 1000);
    sbx_result_free(&res);

    const char *yes[] = {"/usr/bin/yes", NULL};
    struct sbx_limits small = {.output_bytes = 1000};
    bare(yes, small, NULL, &res);
    ck_assert_int_eq(res.verdict, SBX_OLE);
    ck_assert(res.out.truncated);
    ck_assert_uint_eq(res.out.len, 1000);
    sbx_result_free(&res);

    const char *missing[] = {"/nonexistent", NULL};
    ck_assert_int_lt(bare(missing, lim, NULL, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    sbx_result_free(&res);
}
END_TEST

/* --- requirements: cached virtual environments, from a wheel the test writes ---------------------- */

static char venv_root[64], wheels[64];

static void venv_setup(void)
{
    char cmd[512];
    snprintf(venv_root, sizeof venv_root, "/tmp/ex-test-venvs-XXXXXX");
    snprintf(wheels, sizeof wheels, "/tmp/ex-test-wheels-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(venv_root));
    ck_assert_ptr_nonnull(mkdtemp(wheels));
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/make_wheel.py %s jgtiny 1.0 >/dev/null", EX_TEST_DIR, wheels);
    ck_assert_int_eq(system(cmd), 0);
}

static void venv_teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", venv_root, wheels);
    ck_assert_int_eq(system(cmd), 0);
}

static void venv_config(struct ex_config *cfg, bool with_index)
{
    const char *argv[] = {"x", "--gateway", "http://g", "--token", "t", "--venv-dir", venv_root,
                          "--pip-find-links", wheels};
    ck_assert_int_eq(ex_config_load(cfg, with_index ? 9 : 7, (char **)argv), EX_CONFIG_OK);
}

static json_t *reqs(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(venv_path_is_the_sorted_list)
{
    struct ex_config cfg;
    char a[512], b[512], c[512];
    venv_config(&cfg, true);
    json_t *r1 = reqs("[\"b>=1\", \"a\"]"), *r2 = reqs("[\"a\", \"b>=1\", \"a\"]"), *r3 = reqs("[\"a\"]");
    ck_assert_int_eq(ex_venv_path(&cfg, r1, a, sizeof a), 0);
    ck_assert_int_eq(ex_venv_path(&cfg, r2, b, sizeof b), 0);
    ck_assert_int_eq(ex_venv_path(&cfg, r3, c, sizeof c), 0);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_uint_eq(strlen(a), strlen(venv_root) + 1 + 32);
    ck_assert(strncmp(a, venv_root, strlen(venv_root)) == 0);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    /* Options, paths and URLs never reach pip. */
    const char *bad[] = {"[\"-r/etc/passwd\"]", "[\"pkg @ file:///etc\"]", "[\"../x\"]", "[1]", "[\"\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *r = reqs(bad[i]);
        bool installed;
        char msg[256];
        ck_assert_msg(ex_venv_ensure(&cfg, r, a, sizeof a, &installed, msg, sizeof msg) == -EINVAL, "%s", bad[i]);
        ck_assert_ptr_nonnull(strstr(msg, "package requirements"));
        json_decref(r);
    }
}
END_TEST

START_TEST(venv_installs_once_then_caches)
{
    struct ex_config cfg;
    char dir[512], again[512], msg[1024], cmd[700], line[128] = "";
    bool installed;
    venv_config(&cfg, true);
    json_t *r = reqs("[\"jgtiny==1.0\"]");
    ck_assert_msg(ex_venv_ensure(&cfg, r, dir, sizeof dir, &installed, msg, sizeof msg) == 0, "%s", msg);
    ck_assert(installed);
    snprintf(cmd, sizeof cmd, "%s/bin/python3 -I -c 'import jgtiny, cloudpickle; print(jgtiny.VALUE)'", dir);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_str_eq(line, "jgtiny 1.0\n"); /* the package, and the system's cloudpickle beside it */
    snprintf(cmd, sizeof cmd, "%s.tmp", dir);
    ck_assert_int_ne(access(cmd, F_OK), 0); /* renamed into place */
    ck_assert_int_eq(ex_venv_ensure(&cfg, r, again, sizeof again, &installed, msg, sizeof msg), 0);
    ck_assert(!installed);
    ck_assert_str_eq(again, dir);
    json_decref(r);
}
END_TEST

START_TEST(venv_failure_says_what_pip_said)
{
    struct ex_config cfg;
    char dir[512], msg[1024];
    bool installed;
    venv_config(&cfg, true);
    json_t *r = reqs("[\"jgtiny\", \"no-such-package-anywhere\"]");
    ck_assert_int_eq(ex_venv_ensure(&cfg, r, dir, sizeof dir, &installed, msg, sizeof msg), -EIO);
    ck_assert(!installed);
    ck_assert_msg(strstr(msg, "pip install failed: ERROR: ") == msg, "%s", msg);
    ck_assert_msg(strstr(msg, "No matching distribution found for no-such-package-anywhere"), "%s", msg);
    ck_assert_int_ne(access(dir, F_OK), 0); /* nothing cached */
    json_decref(r);
    /* Without a package index, nothing is tried. */
    venv_config(&cfg, false);
    r = reqs("[\"jgtiny\"]");
    ck_assert_int_eq(ex_venv_ensure(&cfg, r, dir, sizeof dir, &installed, msg, sizeof msg), -EOPNOTSUPP);
    ck_assert_msg(strstr(msg, "--pip-find-links"), "%s", msg);
    json_decref(r);
}
END_TEST

struct ensure_arg {
    const struct ex_config *cfg;
    json_t *reqs;
    bool installed;
    int rc;
};

static void *ensure_thread(void *p)
{
    struct ensure_arg *a = p;
    char dir[512], msg[1024];
    a->rc = ex_venv_ensure(a->cfg, a->reqs, dir, sizeof dir, &a->installed, msg, sizeof msg);
    return NULL;
}

START_TEST(venv_concurrent_jobs_share_one_install)
{
    struct ex_config cfg;
    venv_config(&cfg, true);
    json_t *r = reqs("[\"jgtiny\"]");
    struct ensure_arg a[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct ensure_arg){&cfg, r, false, -1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, ensure_thread, &a[i]), 0);
    }
    int installs = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].rc, 0);
        installs += a[i].installed;
    }
    ck_assert_int_eq(installs, 1);
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("executor");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, config_defaults_and_overrides);
    tcase_add_test(t, prefetch_follows_run_times);
    tcase_add_test(t, config_rejects_bad_input);
    tcase_add_test(t, job_parse_and_limits);
    tcase_add_test(t, job_parse_rejects);
    tcase_add_test(t, job_network_grant);
    tcase_add_test(t, checker_output);
    tcase_add_test(t, checker_custom_recognised);
    tcase_add_test(t, test_list_groups_and_points);
    tcase_add_test(t, cache_puts_evicts_lru_and_reindexes);
    tcase_add_test(t, checker_values);
    tcase_add_test(t, verdict_mapping);
    tcase_add_test(t, outcome_of_run);
    tcase_add_test(t, bare_runs_and_verdicts);
    suite_add_tcase(s, t);
    TCase *v = tcase_create("requirements");
    tcase_set_timeout(v, 120);
    tcase_add_checked_fixture(v, venv_setup, venv_teardown);
    tcase_add_test(v, venv_path_is_the_sorted_list);
    tcase_add_test(v, venv_installs_once_then_caches);
    tcase_add_test(v, venv_failure_says_what_pip_said);
    tcase_add_test(v, venv_concurrent_jobs_share_one_install);
    suite_add_tcase(s, v);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
