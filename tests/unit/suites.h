#ifndef TEST_SUITES_H
#define TEST_SUITES_H

#include <check.h>

Suite *base64_suite(void);
Suite *sha256_suite(void);
Suite *buf_suite(void);
Suite *router_suite(void);
Suite *config_suite(void);
Suite *job_spec_suite(void);
Suite *problem_suite(void);
Suite *judge0_suite(void);
Suite *json_write_suite(void);

#endif
