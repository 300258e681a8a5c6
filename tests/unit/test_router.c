#include <string.h>

#include "http/router.h"
#include "suites.h"

static const struct {
    const char *method, *path;
    enum gw_route_match want;
    const char *route; /* pattern expected, or the Allow list for 405 */
    const char *param;
} cases[] = {
    {"POST", "/jobs", GW_ROUTE_FOUND, "/jobs", ""},
    {"GET", "/jobs", GW_ROUTE_FOUND, "/jobs", ""},
    {"POST", "/jobs/batch", GW_ROUTE_FOUND, "/jobs/batch", ""},
    {"GET", "/jobs/batch", GW_ROUTE_FOUND, "/jobs/*", "batch"},
    {"GET", "/jobs/0b6c2a1e-1c1f-4b7e-9d4e-1a2b3c4d5e6f", GW_ROUTE_FOUND, "/jobs/*",
     "0b6c2a1e-1c1f-4b7e-9d4e-1a2b3c4d5e6f"},
    {"DELETE", "/jobs/abc", GW_ROUTE_FOUND, "/jobs/*", "abc"},
    {"PUT", "/jobs/abc/result", GW_ROUTE_FOUND, "/jobs/*/result", "abc"},
    {"POST", "/executor/lease", GW_ROUTE_FOUND, "/executor/lease", ""},
    {"GET", "/healthz", GW_ROUTE_FOUND, "/healthz", ""},
    {"DELETE", "/admin/tokens/7", GW_ROUTE_FOUND, "/admin/tokens/*", "7"},
    {"PUT", "/jobs", GW_ROUTE_BAD_METHOD, "POST, GET", ""},
    {"POST", "/jobs/abc", GW_ROUTE_BAD_METHOD, "GET, DELETE", ""},
    {"GET", "/executor/lease", GW_ROUTE_BAD_METHOD, "POST", ""},
    {"GET", "/", GW_ROUTE_NOT_FOUND, "", ""},
    {"GET", "/jobs/", GW_ROUTE_NOT_FOUND, "", ""},
    {"GET", "/jobs//result", GW_ROUTE_NOT_FOUND, "", ""},
    {"GET", "/jobs/a/b", GW_ROUTE_NOT_FOUND, "", ""},
    {"GET", "/healthz/", GW_ROUTE_NOT_FOUND, "", ""},
    {"GET", "/HEALTHZ", GW_ROUTE_NOT_FOUND, "", ""},
};

START_TEST(routes)
{
    const struct gw_route *r = NULL;
    char param[80] = "", allow[64] = "";
    enum gw_route_match m =
        gw_route_find(cases[_i].method, cases[_i].path, &r, param, sizeof param, allow, sizeof allow);
    ck_assert_int_eq(m, cases[_i].want);
    if (m == GW_ROUTE_FOUND) {
        ck_assert_str_eq(r->pattern, cases[_i].route);
        ck_assert_str_eq(r->method, cases[_i].method);
        ck_assert_str_eq(param, cases[_i].param);
    } else if (m == GW_ROUTE_BAD_METHOD) {
        ck_assert_str_eq(allow, cases[_i].route);
    }
}
END_TEST

START_TEST(overlong_segment_is_not_found)
{
    char path[300] = "/jobs/";
    memset(path + 6, 'a', 200);
    path[206] = '\0';
    const struct gw_route *r = NULL;
    char param[80], allow[64];
    ck_assert_int_eq(gw_route_find("GET", path, &r, param, sizeof param, allow, sizeof allow),
                     GW_ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(every_route_has_a_handler_and_roles)
{
    for (const struct gw_route *r = gw_routes; r->method; r++) {
        ck_assert_ptr_nonnull(r->handler);
        ck_assert_ptr_nonnull(r->name);
        /* Only health, readiness and metrics are open. */
        if (strcmp(r->pattern, "/healthz") && strcmp(r->pattern, "/readyz") &&
            strcmp(r->pattern, "/metrics"))
            ck_assert_uint_ne(r->roles, 0);
    }
}
END_TEST

Suite *router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, routes, 0, sizeof cases / sizeof *cases);
    tcase_add_test(tc, overlong_segment_is_not_found);
    tcase_add_test(tc, every_route_has_a_handler_and_roles);
    suite_add_tcase(s, tc);
    return s;
}
