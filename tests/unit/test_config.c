#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "suites.h"

static enum gw_config_status load(struct gw_config *cfg, int argc, char **argv, int *npos)
{
    int pos[8];
    return gw_config_load(cfg, argc, argv, 1, pos, 8, npos);
}

START_TEST(defaults)
{
    unsetenv("JOBGATE_LISTEN");
    struct gw_config cfg;
    char *argv[] = {"gw", NULL};
    int npos;
    ck_assert_int_eq(load(&cfg, 1, argv, &npos), GW_CONFIG_OK);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:8080");
    ck_assert_int_ge(cfg.threads, 4);
    ck_assert_int_eq(cfg.limits_default.cpu_ms, 5000);
    ck_assert_int_eq(npos, 0);
}
END_TEST

START_TEST(environment_then_arguments)
{
    setenv("JOBGATE_LISTEN", "0.0.0.0:9000", 1);
    setenv("JOBGATE_MAX_BATCH", "7", 1);
    struct gw_config cfg;
    char *argv[] = {"gw", "--max-batch=9", "migrate", NULL};
    int npos;
    ck_assert_int_eq(load(&cfg, 3, argv, &npos), GW_CONFIG_OK);
    ck_assert_str_eq(cfg.listen, "0.0.0.0:9000"); /* from the environment */
    ck_assert_int_eq(cfg.max_batch, 9);           /* the argument wins */
    ck_assert_int_eq(npos, 1);
    unsetenv("JOBGATE_LISTEN");
    unsetenv("JOBGATE_MAX_BATCH");
}
END_TEST

static char *bad_args[][3] = {
    {"gw", "--threads", "many"},        {"gw", "--threads", "-1"},
    {"gw", "--max-batch", "0"},         {"gw", "--listen", "nocolon"},
    {"gw", "--listen", "host:99999"},   {"gw", "--log-level", "loud"},
    {"gw", "--default-cpu-ms", "999999999"}, /* above --max-cpu-ms */
};

START_TEST(rejects_bad_values)
{
    struct gw_config cfg;
    int npos;
    ck_assert_int_eq(load(&cfg, 3, bad_args[_i], &npos), GW_CONFIG_ERROR);
}
END_TEST

START_TEST(help_and_missing_value)
{
    struct gw_config cfg;
    int npos;
    char *help[] = {"gw", "--help"};
    ck_assert_int_eq(load(&cfg, 2, help, &npos), GW_CONFIG_HELP);
    char *missing[] = {"gw", "--database"};
    ck_assert_int_eq(load(&cfg, 2, missing, &npos), GW_CONFIG_ERROR);
}
END_TEST

START_TEST(ipv6_listen)
{
    struct gw_config cfg;
    char *argv[] = {"gw", "--listen", "[::1]:8081"};
    int npos;
    ck_assert_int_eq(load(&cfg, 3, argv, &npos), GW_CONFIG_OK);
    char host[64];
    uint16_t port;
    ck_assert_int_eq(gw_config_listen_addr(&cfg, host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 8081);
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, environment_then_arguments);
    tcase_add_loop_test(tc, rejects_bad_values, 0, sizeof bad_args / sizeof *bad_args);
    tcase_add_test(tc, help_and_missing_value);
    tcase_add_test(tc, ipv6_listen);
    suite_add_tcase(s, tc);
    return s;
}
