#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http/reply.h"
#include "suites.h"

START_TEST(renders_rfc9457_with_field)
{
    struct gw_problem p;
    ck_assert_int_eq(gw_fail(&p, 422, "invalid-field", "Invalid field", "limits.cpu_ms",
                             "%s must be from %d to %d", "limits.cpu_ms", 1, 60000),
                     -1);
    char *text = gw_problem_render(&p, "/jobs");
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "type")),
                     "urn:jobgate:problem:invalid-field");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "title")), "Invalid field");
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "status")), 422);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "detail")),
                     "limits.cpu_ms must be from 1 to 60000");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "field")), "limits.cpu_ms");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "instance")), "/jobs");
    json_decref(doc);
    free(text);
}
END_TEST

START_TEST(no_field_when_empty_and_escapes_detail)
{
    struct gw_problem p;
    gw_fail(&p, 400, "malformed-json", "Malformed JSON", "", "bad \"quote\" and \\ and \n");
    char *text = gw_problem_render(&p, "/x");
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_null(json_object_get(doc, "field"));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "detail")), "bad \"quote\" and \\ and \n");
    json_decref(doc);
    free(text);
}
END_TEST

Suite *problem_suite(void)
{
    Suite *s = suite_create("problem");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, renders_rfc9457_with_field);
    tcase_add_test(tc, no_field_when_empty_and_escapes_detail);
    suite_add_tcase(s, tc);
    return s;
}
