#include <errno.h>
#include <string.h>

#include "base64.h"
#include "suites.h"

/* RFC 4648 §10 vectors, both directions. */
static const char *vectors[][2] = {
    {"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

START_TEST(rfc4648_vectors)
{
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        char enc[32];
        unsigned char dec[32];
        jg_base64_encode((const unsigned char *)vectors[i][0], strlen(vectors[i][0]), enc);
        ck_assert_str_eq(enc, vectors[i][1]);
        long n = jg_base64_decode(vectors[i][1], strlen(vectors[i][1]), dec, NULL);
        ck_assert_int_eq(n, (long)strlen(vectors[i][0]));
        ck_assert_mem_eq(dec, vectors[i][0], (size_t)n);
    }
}
END_TEST

/* Every malformed encoding is refused, with the offset of the first bad character. */
static const struct {
    const char *in;
    size_t bad;
} invalid[] = {
    {"Zg=", 3},       /* length not a multiple of 4 */
    {"Z===", 1},      /* padding too early */
    {"Zg==Zg==", 2},  /* padding before the end */
    {"Zm9v!A==", 4},  /* character outside the alphabet */
    {"Zm 9", 2},      /* whitespace */
    {"Zh==", 1},      /* non-zero trailing bits: not canonical */
    {"Zm9=", 2},      /* non-zero trailing bits in a two-byte group */
    {"=AAA", 0},
    {"AA=A", 2},
    {"Zm9v-_==", 4},  /* URL-safe alphabet is not base64 */
};

START_TEST(rejects_malformed)
{
    size_t bad = 99;
    long n = jg_base64_validate(invalid[_i].in, strlen(invalid[_i].in), &bad);
    ck_assert_int_eq(n, -EINVAL);
    ck_assert_uint_eq(bad, invalid[_i].bad);
}
END_TEST

START_TEST(round_trip_all_bytes)
{
    unsigned char in[256], out[300];
    char enc[400];
    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)i;
    for (size_t len = 0; len <= 256; len++) {
        jg_base64_encode(in, len, enc);
        ck_assert_uint_eq(strlen(enc), jg_base64_encoded_len(len));
        long n = jg_base64_decode(enc, strlen(enc), out, NULL);
        ck_assert_int_eq(n, (long)len);
        ck_assert_mem_eq(in, out, len);
    }
}
END_TEST

Suite *base64_suite(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rfc4648_vectors);
    tcase_add_loop_test(tc, rejects_malformed, 0, sizeof invalid / sizeof *invalid);
    tcase_add_test(tc, round_trip_all_bytes);
    suite_add_tcase(s, tc);
    return s;
}
