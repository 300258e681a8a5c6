/* Runs every unit suite; exit status is the number of failures (capped). */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
    SRunner *sr = srunner_create(base64_suite());
    srunner_add_suite(sr, sha256_suite());
    srunner_add_suite(sr, buf_suite());
    srunner_add_suite(sr, router_suite());
    srunner_add_suite(sr, config_suite());
    srunner_add_suite(sr, job_spec_suite());
    srunner_add_suite(sr, problem_suite());
    srunner_add_suite(sr, judge0_suite());
    srunner_add_suite(sr, json_write_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
