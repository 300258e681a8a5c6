/* The baseline of bench/judge/run.sh: the same binary run bare on the same tests, in one process —
 * per test fork, exec with the input file as stdin, read its stdout through a pipe, wait, and
 * compare with the expected output (trailing whitespace ignored, as the lines checker does).
 *   bare BINARY TESTS_DIR N      -> prints {"runs": N, "total_ms": ..., "per_test_ms": ..., "wrong": 0} */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t trim(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int n = atoi(argv[3]), wrong = 0;
    double t0 = now_ms();
    for (int i = 1; i <= n; i++) {
        char in[512], out[512], got[4096], want[4096];
        snprintf(in, sizeof in, "%s/%d.in", argv[2], i);
        snprintf(out, sizeof out, "%s/%d.out", argv[2], i);
        int p[2];
        if (pipe2(p, O_CLOEXEC))
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(in, O_RDONLY);
            dup2(fd, 0);
            dup2(p[1], 1);
            execl(argv[1], argv[1], (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        size_t len = 0;
        ssize_t r;
        while ((r = read(p[0], got + len, sizeof got - len)) > 0)
            len += (size_t)r;
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        FILE *f = fopen(out, "r");
        size_t wlen = f ? fread(want, 1, sizeof want, f) : 0;
        if (f)
            fclose(f);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || trim(got, len) != trim(want, wlen) ||
            memcmp(got, want, trim(got, len)) != 0)
            wrong++;
    }
    double total = now_ms() - t0;
    printf("{\"runs\": %d, \"total_ms\": %.3f, \"per_test_ms\": %.4f, \"wrong\": %d}\n", n, total,
           total / n, wrong);
    return wrong != 0;
}
