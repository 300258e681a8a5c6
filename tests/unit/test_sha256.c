#include <string.h>

#include "sha256.h"
#include "suites.h"

START_TEST(fips_vectors)
{
    char hex[65];
    jg_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    jg_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    jg_sha256_hex(two, strlen(two), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(streaming_equals_one_shot)
{
    /* A million 'a's fed in uneven pieces: the FIPS 180-2 long-message vector. */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    struct jg_sha256 ctx;
    jg_sha256_init(&ctx);
    for (size_t off = 0, step = 1; off < sizeof a; off += step, step = step * 7 % 997 + 1)
        jg_sha256_update(&ctx, a + off, off + step > sizeof a ? sizeof a - off : step);
    unsigned char d[32];
    jg_sha256_final(&ctx, d);
    static const unsigned char want[32] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
        0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    ck_assert_mem_eq(d, want, 32);
}
END_TEST

Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fips_vectors);
    tcase_add_test(tc, streaming_equals_one_shot);
    suite_add_tcase(s, tc);
    return s;
}
