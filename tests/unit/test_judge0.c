/* The Judge0 layer's pure parts: a submission body -> a job or Rails' errors object (each case a
 * body and the errors it must give, "" when it is valid), ?fields=, and a job row -> a submission
 * (rows built with libpq's PQsetvalue). */
#include <stdlib.h>
#include <string.h>

#include "judge0/judge0.h"
#include "suites.h"

static struct gw_config cfg;
static struct gw_catalog cat;

static void setup(void)
{
    int pos[4], npos;
    char *argv[] = {"gw", NULL};
    ck_assert_int_eq(gw_config_load(&cfg, 1, argv, 1, pos, 4, &npos), GW_CONFIG_OK);
    char err[128];
    ck_assert_int_eq(gw_catalog_init(&cat, "", err, sizeof err), 0);
}

#define SRC "\"source_code\":\"print(1)\""

static const struct {
    const char *body;
    const char *errors; /* Rails' errors object, or "" when valid */
} cases[] = {
    {"{" SRC ",\"language_id\":71}", ""},
    {"{" SRC ",\"language_id\":\"71\",\"cpu_time_limit\":\"2.5\",\"unknown\":[1]}", ""},
    {"{" SRC ",\"language_id\":71.0,\"enable_network\":\"false\",\"stdin\":null}", ""},
    {"{\"source_code\":\"x\",\"language_id\":50,\"compiler_options\":\"  \"}", ""},
    {"{" SRC "}", "{\"language_id\":[\"can't be blank\"]}"},
    {"{\"language_id\":71}", "{\"source_code\":[\"can't be blank\"]}"},
    {"[]", "{\"source_code\":[\"can't be blank\"],\"language_id\":[\"can't be blank\"]}"},
    {"{\"source_code\":\"  \\n\",\"language_id\":4}",
     "{\"source_code\":[\"can't be blank\"],\"language_id\":[\"language with id 4 doesn't exist\"]}"},
    {"{" SRC ",\"language_id\":71,\"wall_time_limit\":100000}",
     "{\"wall_time_limit\":[\"must be less than or equal to 20.0\"]}"},
    {"{" SRC ",\"language_id\":71,\"wall_time_limit\":0.5}",
     "{\"wall_time_limit\":[\"must be greater than or equal to 1\"]}"},
    {"{" SRC ",\"language_id\":71,\"memory_limit\":600000}",
     "{\"memory_limit\":[\"must be less than or equal to 512000\"]}"},
    {"{" SRC ",\"language_id\":71,\"number_of_runs\":0,\"max_file_size\":\"x\"}",
     "{\"number_of_runs\":[\"must be greater than 0\"],\"max_file_size\":[\"is not a number\"]}"},
    {"{" SRC ",\"language_id\":71,\"callback_url\":\"http://a\",\"additional_files\":\"UEs=\"}",
     "{\"callback_url\":[\"setting callback is not allowed\"],"
     "\"additional_files\":[\"setting additional files is not allowed\"]}"},
    {"{" SRC ",\"language_id\":71,\"enable_network\":1}",
     "{\"enable_network\":[\"enabling network is not allowed\"]}"},
};

START_TEST(parse)
{
    json_error_t e;
    json_t *body = json_loads(cases[_i].body, JSON_DECODE_ANY, &e);
    ck_assert_msg(body != NULL, "case %d does not parse: %s", _i, e.text);
    struct gw_job_input in;
    struct gw_problem p;
    json_t *errors = NULL;
    int rc = j0_submission_parse(body, false, &cfg, &cat, &in, &errors, &p);
    if (!cases[_i].errors[0]) {
        ck_assert_msg(rc == 0, "case %d refused", _i);
        gw_job_input_free(&in);
    } else {
        ck_assert_int_eq(rc, 1);
        json_t *want = json_loads(cases[_i].errors, 0, &e);
        char *got = json_dumps(errors, JSON_COMPACT);
        ck_assert_msg(json_equal(errors, want), "case %d: %s", _i, got);
        free(got);
        json_decref(want);
        json_decref(errors);
    }
    json_decref(body);
}
END_TEST

START_TEST(parse_maps_onto_a_job)
{
    /* base64 the Ruby way: a line break inside is skipped. */
    json_t *body = json_pack("{s:s, s:i, s:s, s:s, s:f, s:i}", "source_code", "cHJp\nbnQoMSk=",
                             "language_id", 54, "stdin", "eA==", "expected_output", "eQ==",
                             "cpu_time_limit", 0.0, "memory_limit", 3000);
    struct gw_job_input in;
    struct gw_problem p;
    json_t *errors = NULL;
    ck_assert_int_eq(j0_submission_parse(body, true, &cfg, &cat, &in, &errors, &p), 0);
    ck_assert_str_eq(in.runtime, "cpp17");
    json_t *spec = json_loads(in.spec_text, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(spec, "code")), "cHJpbnQoMSk=");
    ck_assert_str_eq(json_string_value(json_object_get(spec, "stdin")), "eA==");
    ck_assert_str_eq(json_string_value(json_object_get(spec, "expected")), "eQ==");
    json_t *limits = json_object_get(spec, "limits");
    /* cpu_time_limit 0 is isolate's "none": the wall limit (10 s) bounds the run. */
    ck_assert_int_eq(json_integer_value(json_object_get(limits, "cpu_ms")), 10000);
    ck_assert_int_eq(json_integer_value(json_object_get(limits, "memory_mb")), 3); /* 3000 KB up */
    json_t *attrs = json_object_get(spec, "judge0");
    ck_assert_int_eq(json_integer_value(json_object_get(attrs, "language_id")), 54);
    ck_assert_int_eq(json_integer_value(json_object_get(attrs, "stack_limit")), 64000);
    json_decref(spec);
    gw_job_input_free(&in);
    json_decref(body);
}
END_TEST

START_TEST(fields_parse)
{
    struct j0_fields f;
    char invalid[64];
    ck_assert_int_eq(j0_fields_parse(NULL, &f, invalid, sizeof invalid), 0);
    ck_assert(f.needs_spec); /* stdout: redirect_stderr_to_stdout lives in the spec */
    ck_assert_int_eq(j0_fields_parse("token,status_id", &f, invalid, sizeof invalid), 0);
    ck_assert(!f.needs_spec);
    ck_assert_int_eq(j0_fields_parse("token,nope,bad", &f, invalid, sizeof invalid), -1);
    ck_assert_str_eq(invalid, "nope, bad");
    ck_assert_int_eq(j0_fields_parse("*", &f, invalid, sizeof invalid), 0);
    ck_assert(f.needs_spec);
}
END_TEST

/* A one-row result of the STMT_J0_* shape. */
static PGresult *row(const char *state, const char *verdict, const char *result, const char *spec)
{
    static const char *const names[] = {"public_id", "status", "verdict", "runtime", "created_at",
                                        "finished_at", "result", "spec", "started_at", "id"};
    PGresAttDesc attrs[10];
    memset(attrs, 0, sizeof attrs);
    for (int i = 0; i < 10; i++)
        attrs[i].name = (char *)names[i];
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    ck_assert(PQsetResultAttrs(r, 10, attrs));
    const char *values[10] = {"0b6c2a1e-1c1f-4b7e-9d4e-1a2b3c4d5e6f", state, verdict, "c11",
                              "2026-11-21 18:28:53.396521+00", "2026-11-21 18:28:54.1+00", result,
                              spec, NULL, "7"};
    for (int i = 0; i < 10; i++)
        ck_assert(PQsetvalue(r, 0, i, (char *)values[i], values[i] ? (int)strlen(values[i]) : -1));
    return r;
}

static json_t *view(PGresult *r, const char *which, bool b64, bool *not_utf8)
{
    struct j0_fields f;
    char invalid[64];
    ck_assert_int_eq(j0_fields_parse(which, &f, invalid, sizeof invalid), 0);
    json_t *doc = j0_submission_json(r, 0, &f, b64, not_utf8);
    PQclear(r);
    return doc;
}

START_TEST(view_statuses_and_wire_format)
{
    bool bad;
    json_t *doc = view(row("completed", "RE", "{\"signal\":11,\"exit_code\":null,\"usage\":{\"cpu_ms\":4,"
                                              "\"wall_ms\":7,\"memory_kb\":380},\"stdout\":\"\"}",
                           "{}"),
                       "status,time,wall_time,memory,exit_code,exit_signal,message,stdout,"
                       "created_at,language",
                       false, &bad);
    json_t *want = json_loads(
        "{\"status\":{\"id\":7,\"description\":\"Runtime Error (SIGSEGV)\"},\"time\":\"0.004\","
        "\"wall_time\":\"0.007\",\"memory\":380,\"exit_code\":0,\"exit_signal\":11,"
        "\"message\":\"Caught fatal signal 11\",\"stdout\":null,"
        "\"created_at\":\"2026-11-21T18:28:53.396Z\",\"language\":{\"id\":50,\"name\":\"C (GCC 12.2.0)\"}}",
        0, NULL);
    char *got = json_dumps(doc, JSON_COMPACT);
    ck_assert_msg(json_equal(doc, want), "%s", got);
    free(got);
    json_decref(doc);
    json_decref(want);

    doc = view(row("queued", NULL, NULL, NULL), "status,time,exit_code,finished_at", false, &bad);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "status"), "id")), 1);
    ck_assert(json_is_null(json_object_get(doc, "time")));
    ck_assert(json_is_null(json_object_get(doc, "exit_code")));
    json_decref(doc);

    /* Output that is not UTF-8: Judge0's 400 without base64, Ruby's encode64 with it. */
    doc = view(row("completed", "OK", "{\"stdout\":\"/g==\"}", "{}"), "stdout", false, &bad);
    ck_assert_ptr_null(doc);
    ck_assert(bad);
    doc = view(row("completed", "OK", "{\"stdout\":\"/g==\"}", "{}"), "stdout", true, &bad);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "stdout")), "/g==\n");
    json_decref(doc);

    doc = view(row("failed", NULL, "{\"error\":{\"type\":\"SandboxError\",\"message\":\"boom\"}}", "{}"),
               "status_id,message", false, &bad);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "status_id")), 13);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "message")), "SandboxError: boom");
    json_decref(doc);
}
END_TEST

Suite *judge0_suite(void)
{
    Suite *s = suite_create("judge0");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, parse, 0, sizeof cases / sizeof *cases);
    tcase_add_test(tc, parse_maps_onto_a_job);
    tcase_add_test(tc, fields_parse);
    tcase_add_test(tc, view_statuses_and_wire_format);
    suite_add_tcase(s, tc);
    return s;
}
