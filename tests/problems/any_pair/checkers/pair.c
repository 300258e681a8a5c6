/* Checker of "any_pair": the output must be two non-negative integers x y with x + y = n.
 * testlib's convention: argv = input output answer; exit 0 OK, 1 WA, 2 PE, 3 FAIL; the verdict's
 * reason goes to stderr. The answer file (one valid pair) is not needed: any pair is right. */
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: checker input output answer\n");
        return 3;
    }
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r");
    long long n, x, y;
    char extra;
    if (!in || fscanf(in, "%lld", &n) != 1) {
        fprintf(stderr, "bad input file");
        return 3;
    }
    if (!out || fscanf(out, "%lld %lld", &x, &y) != 2) {
        fprintf(stderr, "expected two integers");
        return 2;
    }
    if (fscanf(out, " %c", &extra) == 1) {
        fprintf(stderr, "extra output after the pair");
        return 2;
    }
    if (x < 0 || y < 0) {
        fprintf(stderr, "negative number: %lld %lld", x, y);
        return 1;
    }
    if (x + y != n) {
        fprintf(stderr, "%lld + %lld = %lld, expected %lld", x, y, x + y, n);
        return 1;
    }
    fprintf(stderr, "ok %lld + %lld = %lld", x, y, n);
    return 0;
}
