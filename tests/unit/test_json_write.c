/* gw_json_write: each case is a JSON document; the writer must produce json_dumps's compact text. */
#include <stdlib.h>
#include <string.h>

#include "jobs/json_write.h"
#include "suites.h"

static const char *const docs[] = {
    "{}",
    "[]",
    "\"\"",
    "0",
    "-9223372036854775808",
    "1.5",
    "1e300",
    "-0.0",
    "1e-07",
    "3.0",
    "true",
    "false",
    "null",
    "\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\"",
    "\"\\u0001\\u001f\\u007f \\u00e9 \\u2603 \\ud834\\udd1e \\u2028\"",
    "{\"b\":1,\"a\":[1,2,{\"z\":null,\"y\":[]}],\"\\u00e9\\n\":\"x\"}",
    "[[[[]]],{},{\"k\":{\"k\":{\"k\":\"v\"}}},-1,0.25]",
};

START_TEST(matches_json_dumps)
{
    json_t *v = json_loads(docs[_i], JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(v);
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    struct jg_buf b;
    jg_buf_init(&b, 1 << 20);
    ck_assert_int_eq(gw_json_write(&b, v), 0);
    ck_assert_str_eq(b.data, want);
    jg_buf_free(&b);
    free(want);
    json_decref(v);
}
END_TEST

START_TEST(string_with_nul)
{
    struct jg_buf b;
    jg_buf_init(&b, 1 << 20);
    ck_assert_int_eq(gw_json_write_string(&b, "a\0b", 3), 0);
    ck_assert_str_eq(b.data, "\"a\\u0000b\"");
    jg_buf_free(&b);
}
END_TEST

START_TEST(full_buffer_fails)
{
    json_t *v = json_loads(docs[15], 0, NULL);
    struct jg_buf b;
    jg_buf_init(&b, 8);
    ck_assert_int_ne(gw_json_write(&b, v), 0);
    jg_buf_free(&b);
    json_decref(v);
}
END_TEST

Suite *json_write_suite(void)
{
    Suite *s = suite_create("json_write");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, matches_json_dumps, 0, sizeof docs / sizeof *docs);
    tcase_add_test(tc, string_with_nul);
    tcase_add_test(tc, full_buffer_fails);
    suite_add_tcase(s, tc);
    return s;
}
