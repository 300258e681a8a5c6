/* Validation of submitted jobs: each case is a request body and the field it must be refused for
 * (or "" when it must be accepted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/job_spec.h"
#include "suites.h"

static struct gw_config cfg;
static struct gw_catalog cat;

static void setup(void)
{
    int pos[4], npos;
    char *argv[] = {"gw", "--max-tests", "3", "--max-labels", "2", NULL};
    ck_assert_int_eq(gw_config_load(&cfg, 5, argv, 1, pos, 4, &npos), GW_CONFIG_OK);
    char err[128];
    ck_assert_int_eq(gw_catalog_init(&cat, "py2=call,java=program", err, sizeof err), 0);
}

#define FN "\"runtime\":\"python3\",\"kind\":\"function\",\"code\":\"ZGVmIGYoKTogcGFzcw==\""
#define PROG "\"runtime\":\"c11\",\"kind\":\"program\",\"code\":\"aW50IG1haW4oKXt9\""
#define CALL "\"runtime\":\"python3\",\"kind\":\"call\",\"code\":\"gASVAAAAAA==\""

static const struct {
    const char *body;
    const char *field; /* "" = valid */
} cases[] = {
    /* accepted */
    {"{" CALL "}", ""},
    {"{" FN ",\"entrypoint\":\"f\",\"args\":[1,\"x\",{\"a\":null}],\"kwargs\":{\"k\":1}}", ""},
    {"{" PROG ",\"stdin\":\"\"}", ""},
    {"{" PROG ",\"tests\":[{\"input\":\"MQ==\",\"expected\":\"Mg==\",\"points\":5}],"
     "\"checker\":{\"type\":\"float\",\"abs_tol\":1e-6},\"stop_on_failure\":false}", ""},
    {"{" FN ",\"entrypoint\":\"f\",\"tests\":[{\"args\":[1],\"expected\":2}]}", ""},
    {"{" CALL ",\"limits\":{\"cpu_ms\":60000,\"memory_mb\":1},\"priority\":-100,\"max_attempts\":10,"
     "\"labels\":{\"team\":\"a\",\"x/y\":\"\"},\"requirements\":[\"numpy>=1.2\"]}", ""},
    {"{\"runtime\":\"py2\",\"kind\":\"call\",\"code\":\"AA==\"}", ""},
    {"{" PROG ",\"stdin\":\"MQ==\",\"expected\":\"Mg==\",\"checker\":\"tokens\"}", ""},
    {"{" PROG ",\"tests\":[{\"input\":\"\",\"expected\":\"\",\"group\":\"g\"}],"
     "\"checker\":{\"type\":\"custom\",\"runtime\":\"python3\",\"code\":\"AA==\"}}", ""},
    /* refused, with the field named */
    {"{}", "runtime"},
    {"[]", ""},
    {"{\"runtime\":1,\"kind\":\"call\",\"code\":\"AA==\"}", "runtime"},
    {"{\"runtime\":\"cobol\",\"kind\":\"call\",\"code\":\"AA==\"}", "runtime"},
    {"{\"runtime\":\"python3\",\"code\":\"AA==\"}", "kind"},
    {"{\"runtime\":\"python3\",\"kind\":\"lambda\",\"code\":\"AA==\"}", "kind"},
    {"{\"runtime\":\"c11\",\"kind\":\"call\",\"code\":\"AA==\"}", "kind"},
    {"{\"runtime\":\"java\",\"kind\":\"function\",\"code\":\"AA==\"}", "kind"},
    {"{\"runtime\":\"python3\",\"kind\":\"call\"}", "code"},
    {"{\"runtime\":\"python3\",\"kind\":\"call\",\"code\":\"\"}", "code"},
    {"{\"runtime\":\"python3\",\"kind\":\"call\",\"code\":\"not base64!\"}", "code"},
    {"{\"runtime\":\"python3\",\"kind\":\"call\",\"code\":\"AA=\"}", "code"},
    {"{" CALL ",\"surprise\":1}", "surprise"},
    {"{" CALL ",\"entrypoint\":\"f\"}", "entrypoint"},
    {"{" CALL ",\"stdin\":\"AA==\"}", "stdin"},
    {"{" FN "}", "entrypoint"},
    {"{" FN ",\"entrypoint\":\"1f\"}", "entrypoint"},
    {"{" FN ",\"entrypoint\":\"os.system\"}", "entrypoint"},
    {"{" FN ",\"entrypoint\":\"f\",\"args\":{}}", "args"},
    {"{" FN ",\"entrypoint\":\"f\",\"kwargs\":[]}", "kwargs"},
    {"{" FN ",\"entrypoint\":\"f\",\"args\":[],\"tests\":[]}", "args"},
    {"{" PROG ",\"stdin\":\"@@@@\"}", "stdin"},
    {"{" PROG ",\"stdin\":\"\",\"tests\":[]}", "stdin"},
    {"{" PROG ",\"tests\":{}}", "tests"},
    {"{" PROG ",\"tests\":[1]}", "tests[0]"},
    {"{" PROG ",\"tests\":[{\"input\":\"MQ==\"}]}", "tests[0]"},
    {"{" PROG ",\"tests\":[{\"input\":\"MQ==\",\"expected\":\"!\"}]}", "tests[0].expected"},
    {"{" PROG ",\"tests\":[{\"input\":\"\",\"expected\":\"\",\"args\":[]}]}", "tests[0].args"},
    {"{" PROG ",\"tests\":[{\"input\":\"\",\"expected\":\"\",\"points\":-1}]}", "tests[0].points"},
    {"{" PROG ",\"tests\":[{\"input\":\"\",\"expected\":\"\"},{\"input\":\"\",\"expected\":\"\"},"
     "{\"input\":\"\",\"expected\":\"\"},{\"input\":\"\",\"expected\":\"\"}]}", "tests"},
    {"{" PROG ",\"checker\":\"exact\"}", "checker"},
    {"{" PROG ",\"tests\":[],\"checker\":\"fuzzy\"}", "checker"},
    {"{" PROG ",\"tests\":[],\"checker\":{\"type\":\"float\",\"abs_tol\":-1}}", "checker.abs_tol"},
    {"{" PROG ",\"tests\":[],\"checker\":{\"type\":\"custom\",\"runtime\":\"c11\"}}", "checker"},
    {"{" PROG ",\"tests\":[],\"checker\":{\"type\":\"custom\",\"runtime\":\"py2\",\"code\":\"AA==\"}}",
     "checker.runtime"},
    {"{" PROG ",\"tests\":[],\"stop_on_failure\":1}", "stop_on_failure"},
    {"{" CALL ",\"limits\":{\"cpu_ms\":60001}}", "limits.cpu_ms"},
    {"{" CALL ",\"limits\":{\"cpu_ms\":0}}", "limits.cpu_ms"},
    {"{" CALL ",\"limits\":{\"memory_mb\":1.5}}", "limits.memory_mb"},
    {"{" CALL ",\"limits\":{\"gpu\":1}}", "limits.gpu"},
    {"{" CALL ",\"limits\":[]}", "limits"},
    {"{" CALL ",\"priority\":101}", "priority"},
    {"{" CALL ",\"priority\":\"high\"}", "priority"},
    {"{" CALL ",\"max_attempts\":0}", "max_attempts"},
    {"{" CALL ",\"max_attempts\":11}", "max_attempts"},
    {"{" CALL ",\"labels\":{\"a\":1}}", "labels.a"},
    {"{" CALL ",\"labels\":{\"a b\":\"x\"}}", "labels.a b"},
    {"{" CALL ",\"labels\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}", "labels"},
    {"{" CALL ",\"requirements\":[\"-e git+https://x\"]}", "requirements[0]"},
    {"{" CALL ",\"requirements\":[\"../../etc\"]}", "requirements[0]"},
    {"{" CALL ",\"requirements\":\"numpy\"}", "requirements"},
    {"{" PROG ",\"expected\":\"!\"}", "expected"},
    {"{" PROG ",\"expected\":\"\",\"tests\":[]}", "expected"},
    {"{" FN ",\"entrypoint\":\"f\",\"expected\":\"\"}", "expected"},
    {"{" PROG ",\"problem\":\"aplusb\"}", "problem"},      /* no stored problems given */
    {"{" PROG ",\"problem\":7}", "problem"},
    {"{" PROG ",\"problem\":\"p\",\"stdin\":\"\"}", "problem"},
    {"{" PROG ",\"stop_on_failure\":true,\"expected\":\"\"}", "stop_on_failure"},
};

START_TEST(validate)
{
    json_error_t e;
    json_t *root = json_loads(cases[_i].body, 0, &e);
    ck_assert_msg(root != NULL, "case %d does not parse: %s", _i, e.text);
    struct gw_job_input in;
    struct gw_problem p;
    memset(&p, 0, sizeof p);
    int rc = gw_job_parse(root, &cfg, &cat, "", &in, &p);
    if (cases[_i].field[0] == '\0' && json_is_object(root)) {
        ck_assert_msg(rc == 0, "case %d refused: %s", _i, p.detail);
        ck_assert_ptr_nonnull(in.spec_text);
        gw_job_input_free(&in);
    } else {
        ck_assert_msg(rc == -1, "case %d accepted", _i);
        ck_assert_uint_eq(p.status, 422);
        ck_assert_str_eq(p.field, cases[_i].field);
        ck_assert_msg(strlen(p.detail) > 0, "case %d has no detail", _i);
    }
    json_decref(root);
}
END_TEST

START_TEST(spec_has_defaults_and_no_scheduling_fields)
{
    json_t *root = json_loads("{" FN ",\"entrypoint\":\"f\",\"priority\":5,\"labels\":{\"a\":\"b\"},"
                              "\"limits\":{\"wall_ms\":777}}",
                              0, NULL);
    struct gw_job_input in;
    struct gw_problem p;
    ck_assert_int_eq(gw_job_parse(root, &cfg, &cat, "", &in, &p), 0);
    json_t *spec = json_loads(in.spec_text, 0, NULL);
    ck_assert_ptr_null(json_object_get(spec, "priority"));
    ck_assert_ptr_null(json_object_get(spec, "labels"));
    ck_assert(json_is_array(json_object_get(spec, "args")));
    ck_assert(json_is_object(json_object_get(spec, "kwargs")));
    json_t *limits = json_object_get(spec, "limits");
    ck_assert_int_eq(json_integer_value(json_object_get(limits, "wall_ms")), 777);
    ck_assert_int_eq(json_integer_value(json_object_get(limits, "cpu_ms")),
                     cfg.limits_default.cpu_ms);
    ck_assert_int_eq(in.priority, 5);
    ck_assert_int_eq(in.max_attempts, cfg.default_max_attempts);
    ck_assert_str_eq(in.labels_text, "{\"a\":\"b\"}");
    json_decref(spec);
    json_decref(root);
    gw_job_input_free(&in);
}
END_TEST

/* The stored texts, exactly: keys in the request's order, limits in place, defaults appended. */
START_TEST(spec_text_keeps_the_request_order)
{
    json_t *root = json_loads("{\"kind\":\"function\",\"limits\":{\"cpu_ms\":9},\"max_attempts\":2,"
                              "\"code\":\"ZGVmIGYoKTogcGFzcw==\",\"runtime\":\"python3\","
                              "\"labels\":{\"t\":\"\\u00e9\\n\"},\"entrypoint\":\"f\","
                              "\"kwargs\":{\"x\":[1.5,null,\"\\\"\"]}}",
                              0, NULL);
    ck_assert_ptr_nonnull(root);
    struct gw_job_input in;
    struct gw_problem p;
    ck_assert_int_eq(gw_job_parse(root, &cfg, &cat, "", &in, &p), 0);
    char lim[160];
    snprintf(lim, sizeof lim,
             "{\"cpu_ms\":9,\"wall_ms\":%ld,\"memory_mb\":%ld,\"output_kb\":%ld,\"processes\":%ld}",
             cfg.limits_default.wall_ms, cfg.limits_default.memory_mb,
             cfg.limits_default.output_kb, cfg.limits_default.processes);
    char want[512];
    snprintf(want, sizeof want,
             "{\"kind\":\"function\",\"limits\":%s,\"code\":\"ZGVmIGYoKTogcGFzcw==\","
             "\"runtime\":\"python3\",\"entrypoint\":\"f\",\"kwargs\":{\"x\":[1.5,null,\"\\\"\"]},"
             "\"args\":[]}",
             lim);
    ck_assert_str_eq(in.spec_text, want);
    ck_assert_str_eq(in.limits_text, lim);
    ck_assert_str_eq(in.labels_text, "{\"t\":\"\u00e9\\n\"}");
    json_decref(root);
    gw_job_input_free(&in);
}
END_TEST

START_TEST(prefix_names_batch_elements)
{
    json_t *root = json_loads("{" CALL ",\"priority\":1000}", 0, NULL);
    struct gw_job_input in;
    struct gw_problem p;
    ck_assert_int_eq(gw_job_parse(root, &cfg, &cat, "jobs[4].", &in, &p), -1);
    ck_assert_str_eq(p.field, "jobs[4].priority");
    json_decref(root);
}
END_TEST

START_TEST(problem_limits_and_pinned_manifest)
{
    struct gw_stored_problem sp = {.name = "aplusb", .version = 3,
                                   .limits = json_pack("{s:i, s:i}", "cpu_ms", 1500,
                                                       "memory_mb", 1000000)};
    memset(sp.manifest, 'a', 64);
    struct gw_stored_problems set = {&sp, 1};
    json_t *root = json_loads("{" PROG ",\"problem\":\"aplusb\",\"limits\":{\"wall_ms\":900},"
                              "\"checker\":\"exact\"}", 0, NULL);
    struct gw_job_input in;
    struct gw_problem p;
    ck_assert_int_eq(gw_job_parse_with(root, &cfg, &cat, &set, "", &in, &p), 0);
    /* The problem's limits over the defaults (capped by the server), the job's over both. */
    ck_assert_int_eq(in.limits.cpu_ms, 1500);
    ck_assert_int_eq(in.limits.memory_mb, cfg.limits_max.memory_mb);
    ck_assert_int_eq(in.limits.wall_ms, 900);
    json_t *spec = json_loads(in.spec_text, 0, NULL);
    json_t *want = json_pack("{s:s, s:i, s:s}", "name", "aplusb", "version", 3, "manifest",
                             sp.manifest);
    ck_assert(json_equal(json_object_get(spec, "problem"), want));
    ck_assert_str_eq(json_string_value(json_object_get(spec, "checker")), "exact");
    json_decref(want);
    json_decref(spec);
    json_decref(root);
    gw_job_input_free(&in);
    json_decref(sp.limits);
}
END_TEST

Suite *job_spec_suite(void)
{
    Suite *s = suite_create("job_spec");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, validate, 0, sizeof cases / sizeof *cases);
    tcase_add_test(tc, spec_has_defaults_and_no_scheduling_fields);
    tcase_add_test(tc, spec_text_keeps_the_request_order);
    tcase_add_test(tc, prefix_names_batch_elements);
    tcase_add_test(tc, problem_limits_and_pinned_manifest);
    suite_add_tcase(s, tc);
    return s;
}
