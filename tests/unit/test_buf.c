#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "suites.h"

START_TEST(limit_is_enforced_exactly)
{
    struct jg_buf b;
    jg_buf_init(&b, 10);
    ck_assert_int_eq(jg_buf_append(&b, "12345", 5), 0);
    ck_assert_int_eq(jg_buf_append(&b, "67890", 5), 0);
    ck_assert_int_eq(jg_buf_append(&b, "x", 1), -E2BIG);
    ck_assert_uint_eq(b.len, 10);
    ck_assert_str_eq(b.data, "1234567890");
    ck_assert_int_eq(jg_buf_printf(&b, "%d", 1), -E2BIG);
    size_t len;
    char *p = jg_buf_take(&b, &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_ptr_null(b.data);
    free(p);
    jg_buf_free(&b);
}
END_TEST

START_TEST(grows_and_formats)
{
    struct jg_buf b;
    jg_buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(jg_buf_printf(&b, "%d,", i % 10), 0);
    ck_assert_uint_eq(b.len, 20000);
    ck_assert_int_eq(b.data[19998], '9');
    jg_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, limit_is_enforced_exactly);
    tcase_add_test(tc, grows_and_formats);
    suite_add_tcase(s, tc);
    return s;
}
