/* test_sandbox - Check suite of the sandbox module API (needs root; exits 77 without it).
 * The hostile programs live in hostile/ and run through hostile_runner; this file covers the API contract:
 * verdicts, outputs, files in and out, limits, reuse, cancellation, the probe, both cgroup code paths. */
#include "sandbox.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Box uids from a band of this process's own, so that concurrent test runs on one host never collide. */
#define FIRST_UID (200000u + (unsigned)(getpid() % 20000) * 32u)
#define CGROUP "jobgate-sbx-test"

static struct sbx_ctx *ctx;
static struct sbx_box *box;

static void setup(void)
{
    char err[512];
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = CGROUP};
    int rc = sbx_ctx_init(&ctx, &cfg, err, sizeof err);
    ck_assert_msg(rc == 0, "ctx: %s", err);
    rc = sbx_box_init(ctx, 10, &box, err, sizeof err);
    ck_assert_msg(rc == 0, "box: %s", err);
}

static void teardown(void)
{
    sbx_box_close(box);
    sbx_ctx_close(ctx);
    box = NULL;
    ctx = NULL;
}

/* Run a shell command in the box with the given limits (NULL: defaults) and stdin text (NULL: none). */
static int sh(struct sbx_result *res, const char *cmd, const struct sbx_limits *lim, const char *in)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", NULL};
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1, .stdin_data = in,
                          .stdin_len = in ? strlen(in) : 0};
    if(lim)
        run.limits = *lim;
    return sbx_run(box, &run, res);
}

START_TEST(test_probe)
{
    struct sbx_caps caps;
    char missing[256];
    ck_assert_int_eq(sbx_probe(&caps), 0);
    ck_assert(strlen(caps.desc) > 0);
    ck_assert(caps.have & SBX_CAP_ROOT);
    ck_assert(caps.have & SBX_CAP_SECCOMP);
    ck_assert_int_eq(sbx_caps_check(&caps, caps.have, missing, sizeof missing), 0);
    ck_assert_str_eq(missing, "");
    caps.have &= ~(uint32_t)(SBX_CAP_SECCOMP | SBX_CAP_NS_PID);
    ck_assert_int_eq(sbx_caps_check(&caps, SBX_CAPS_MINIMUM, missing, sizeof missing), -EPERM);
    ck_assert_str_eq(missing, "ns-pid, seccomp");
    ck_assert_str_eq(sbx_cap_name(SBX_CAP_CG_MEMORY), "cg-memory");
}
END_TEST

START_TEST(test_ctx_refuses_below_minimum)
{
    char err[512];
    struct sbx_ctx *c = (void *)1;
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = CGROUP, .cgroup_disable = true,
                             .required = SBX_CAPS_STRICT};
    ck_assert_int_eq(sbx_ctx_init(&c, &cfg, err, sizeof err), -EPERM);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "cg-memory") != NULL, "%s", err);
}
END_TEST

START_TEST(test_true_ok)
{
    struct sbx_result res;
    const char *argv[] = {"/bin/true", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1};
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    ck_assert_int_eq(res.exit_code, 0);
    ck_assert_int_eq(res.signal, 0);
    ck_assert_msg(strncmp(res.memory_source, "cgroup", 6) == 0, "%s", res.memory_source);
    ck_assert_str_eq(res.out.data, "");
    sbx_result_free(&res);
    sbx_result_free(&res); /* twice is safe */
}
END_TEST

START_TEST(test_exit_code_and_signal)
{
    struct sbx_result res;
    ck_assert_int_eq(sh(&res, "exit 3", NULL, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_RE_EXIT);
    ck_assert_int_eq(res.exit_code, 3);
    sbx_result_free(&res);
    ck_assert_int_eq(sh(&res, "kill -SEGV $$", NULL, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_RE_SIGNAL);
    ck_assert_int_eq(res.signal, SIGSEGV);
    ck_assert_str_eq(res.message, "killed by SIGSEGV");
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_stdin_stdout_stderr)
{
    struct sbx_result res;
    ck_assert_int_eq(sh(&res, "cat; echo oops >&2", NULL, "hello\nworld\n"), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    ck_assert_str_eq(res.out.data, "hello\nworld\n");
    ck_assert_uint_eq(res.out.total, 12);
    ck_assert(!res.out.truncated);
    ck_assert_str_eq(res.err.data, "oops\n");
    sbx_result_free(&res);
    /* No stdin given: /dev/null. */
    ck_assert_int_eq(sh(&res, "wc -c", NULL, NULL), 0);
    ck_assert_str_eq(res.out.data, "0\n");
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_stdin_fd)
{
    struct sbx_result res;
    char path[] = "/tmp/sbx-test-stdin-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(write(fd, "from a file\n", 12), 12);
    lseek(fd, 0, SEEK_SET);
    const char *argv[] = {"/bin/cat", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = fd};
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_str_eq(res.out.data, "from a file\n");
    sbx_result_free(&res);
    close(fd);
}
END_TEST

START_TEST(test_clean_environment)
{
    struct sbx_result res;
    setenv("JOBGATE_TEST_MARK", "host-only", 1);
    const char *argv[] = {"/usr/bin/env", NULL};
    const char *env[] = {"A=1", "B=two", NULL};
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1};
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_str_eq(res.out.data, "A=1\nB=two\n");
    sbx_result_free(&res);
    run.envp = NULL; /* empty */
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_str_eq(res.out.data, "");
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_output_cap)
{
    struct sbx_result res;
    struct sbx_limits lim = {.output_bytes = 1000};
    ck_assert_int_eq(sh(&res, "head -c 1000 /dev/zero", &lim, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_OK); /* exactly the cap is fine */
    ck_assert_uint_eq(res.out.len, 1000);
    ck_assert(!res.out.truncated);
    sbx_result_free(&res);
    ck_assert_int_eq(sh(&res, "head -c 100000 /dev/zero", &lim, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_OLE);
    ck_assert_uint_eq(res.out.len, 1000);
    ck_assert(res.out.truncated);
    ck_assert_uint_gt(res.out.total, 1000);
    sbx_result_free(&res);
    lim.stderr_bytes = 10; /* stderr has its own cap */
    ck_assert_int_eq(sh(&res, "echo 0123456789abc >&2", &lim, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_OLE);
    ck_assert_str_eq(res.err.data, "0123456789");
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_files_in_and_out)
{
    struct sbx_result res;
    static const char script[] = "#!/bin/sh\nmkdir -p out && tr a-z A-Z < in/data.txt > out/result.txt\n";
    struct sbx_file_in in[] = {{.name = "in/data.txt", .data = "hello files\n", .len = 12, .fd = -1},
                               {.name = "run.sh", .data = script, .len = sizeof script - 1, .fd = -1, .mode = 0755}};
    struct sbx_file_out out[] = {{.name = "out/result.txt"},
                                 {.name = "missing.txt"},
                                 {.name = "out"},
                                 {.name = "link"},
                                 {.name = "big", .max_bytes = 5},
                                 {.name = "../etc/passwd"}};
    const char *argv[] = {"/bin/sh", "-c", "./run.sh && ln -s /etc/passwd link && echo 0123456789 > big", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1, .files_in = in, .nfiles_in = 2, .files_out = out,
                          .nfiles_out = 6};
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_msg(res.verdict == SBX_OK, "%s: %s %s", sbx_verdict_name(res.verdict), res.message, res.err.data);
    ck_assert_uint_eq(res.nfiles, 6);
    ck_assert_int_eq(res.files[0].error, 0);
    ck_assert_str_eq(res.files[0].data, "HELLO FILES\n");
    ck_assert_int_eq(res.files[1].error, -ENOENT);
    ck_assert_int_eq(res.files[2].error, -EINVAL); /* a directory */
    ck_assert_int_eq(res.files[3].error, -ELOOP);  /* a symlink is never followed */
    ck_assert_ptr_null(res.files[3].data);
    ck_assert_int_eq(res.files[4].error, 0);
    ck_assert_uint_eq(res.files[4].len, 5);
    ck_assert(res.files[4].truncated);
    ck_assert_int_eq(res.files[5].error, -EINVAL); /* ".." refused by name */
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_bad_input_name)
{
    struct sbx_result res;
    const char *argv[] = {"/bin/true", NULL};
    struct sbx_file_in in = {.name = "../escape", .data = "x", .len = 1, .fd = -1};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1, .files_in = &in, .nfiles_in = 1};
    ck_assert_int_eq(sbx_run(box, &run, &res), -EINVAL);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    ck_assert_msg(strstr(res.message, "bad name") != NULL, "%s", res.message);
    sbx_result_free(&res);
}
END_TEST

/* sh -c cmd with the given per-run binds. */
static int sh_binds(struct sbx_result *res, const char *cmd, const struct sbx_bind *binds, size_t n)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", NULL};
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1, .binds = binds, .nbinds = n};
    return sbx_run(box, &run, res);
}

START_TEST(test_run_binds)
{
    struct sbx_result res;
    char dir[] = "/tmp/sbx-test-bind-XXXXXX", file[64], other[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    snprintf(file, sizeof file, "%s/hello", dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("from the host\n", f);
    fclose(f);
    chmod(file, 0644);
    /* Visible read-only at the target, for this run only. */
    struct sbx_bind b = {.source = dir, .target = "/mnt"};
    ck_assert_int_eq(sh_binds(&res, "cat /mnt/hello && ! touch /mnt/new 2>/dev/null && "
                                    "grep -q ' /mnt .*ro,nosuid,nodev' /proc/self/mountinfo && echo ro",
                              &b, 1), 0);
    ck_assert_msg(res.verdict == SBX_OK, "%s: %s %s", sbx_verdict_name(res.verdict), res.message, res.err.data);
    ck_assert_str_eq(res.out.data, "from the host\nro\n");
    sbx_result_free(&res);
    snprintf(other, sizeof other, "%s/new", dir);
    ck_assert_int_ne(access(other, F_OK), 0);
    ck_assert_int_eq(sh_binds(&res, "ls -A /mnt | wc -l", NULL, 0), 0);
    ck_assert_str_eq(res.out.data, "0\n"); /* the next run does not see it */
    sbx_result_free(&res);
    /* A file onto a file of the tree, and a missing optional source skipped. */
    struct sbx_bind two[] = {{.source = file, .target = "/etc/hosts"},
                             {.source = "/no/such/dir", .target = "/mnt", .optional = true}};
    ck_assert_int_eq(sh_binds(&res, "cat /etc/hosts", two, 2), 0);
    ck_assert_str_eq(res.out.data, "from the host\n");
    sbx_result_free(&res);
    /* Refused: a target that does not exist, "..", a missing source, too many binds. */
    struct sbx_bind bad[] = {{.source = dir, .target = "/nowhere"}, {.source = dir, .target = "/mnt/../etc"},
                             {.source = "/no/such/dir", .target = "/mnt"}};
    ck_assert_int_eq(sh_binds(&res, "true", &bad[0], 1), -ENOENT);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    ck_assert_msg(strstr(res.message, "bind /nowhere") != NULL, "%s", res.message);
    sbx_result_free(&res);
    ck_assert_int_eq(sh_binds(&res, "true", &bad[1], 1), -EINVAL);
    sbx_result_free(&res);
    ck_assert_int_eq(sh_binds(&res, "true", &bad[2], 1), -ENOENT);
    ck_assert_msg(strstr(res.message, "/no/such/dir") != NULL, "%s", res.message);
    sbx_result_free(&res);
    struct sbx_bind many[SBX_RUN_BINDS_MAX + 1] = {{dir, "/mnt", false}};
    ck_assert_int_eq(sh_binds(&res, "true", many, SBX_RUN_BINDS_MAX + 1), -EINVAL);
    sbx_result_free(&res);
    /* The box works as before after all that. */
    ck_assert_int_eq(sh_binds(&res, "echo ok", NULL, 0), 0);
    ck_assert_str_eq(res.out.data, "ok\n");
    sbx_result_free(&res);
    unlink(file);
    rmdir(dir);
}
END_TEST

/* SBX_NETWORK_HOST: this run reaches a listener of the supervisor's network namespace over IP; runs
 * without it (before and after, same box) are killed at socket(AF_INET) and have no interface anyway. */
START_TEST(test_network_host)
{
    struct sbx_result res;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(lfd, 4), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    char code[256];
    snprintf(code, sizeof code, "import socket; socket.create_connection(('127.0.0.1', %d)).sendall(b'hi')",
             ntohs(a.sin_port));
    const char *argv[] = {"/usr/bin/python3", "-I", "-c", code, NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1};
    for(int round = 0; round < 3; round++) {
        run.network = round == 1 ? SBX_NETWORK_HOST : SBX_NETWORK_NONE;
        ck_assert_int_eq(sbx_run(box, &run, &res), 0);
        if(run.network == SBX_NETWORK_NONE) {
            ck_assert_msg(res.verdict == SBX_SYS, "%s: %s", sbx_verdict_name(res.verdict), res.err.data);
        } else {
            ck_assert_msg(res.verdict == SBX_OK, "%s: %s %s", sbx_verdict_name(res.verdict), res.message,
                          res.err.data);
            int c = accept(lfd, NULL, NULL);
            char buf[8] = "";
            ck_assert_int_ge(c, 0);
            ck_assert_int_eq(read(c, buf, sizeof buf - 1), 2);
            ck_assert_str_eq(buf, "hi");
            close(c);
        }
        sbx_result_free(&res);
    }
    /* Other address families stay forbidden with the network: a netlink socket is still SYS. */
    const char *nl[] = {"/usr/bin/python3", "-I", "-c", "import socket; socket.socket(socket.AF_NETLINK, "
                        "socket.SOCK_RAW, 0)", NULL};
    struct sbx_run nlrun = {.argv = nl, .stdin_fd = -1, .network = SBX_NETWORK_HOST};
    ck_assert_int_eq(sbx_run(box, &nlrun, &res), 0);
    ck_assert_msg(res.verdict == SBX_SYS, "%s", sbx_verdict_name(res.verdict));
    sbx_result_free(&res);
    close(lfd);
}
END_TEST

START_TEST(test_exec_failure_is_internal)
{
    struct sbx_result res;
    const char *argv[] = {"/no/such/program", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1};
    ck_assert_int_eq(sbx_run(box, &run, &res), -ENOENT);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    ck_assert_msg(strstr(res.message, "execve") != NULL, "%s", res.message);
    sbx_result_free(&res);
    struct sbx_run none = {.stdin_fd = -1};
    ck_assert_int_eq(sbx_run(box, &none, &res), -EINVAL);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_wall_limit)
{
    struct sbx_result res;
    struct sbx_limits lim = {.cpu_ms = 5000, .wall_ms = 200};
    ck_assert_int_eq(sh(&res, "sleep 10", &lim, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_TLE_WALL);
    ck_assert_int_eq(res.signal, SIGKILL);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_cpu_limit)
{
    struct sbx_result res;
    struct sbx_limits lim = {.cpu_ms = 200, .wall_ms = 20000};
    ck_assert_int_eq(sh(&res, "while :; do :; done", &lim, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_TLE_CPU);
    ck_assert_uint_ge(res.cpu_ms, 200);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_memory_limit)
{
    struct sbx_result res;
    struct sbx_limits lim = {.memory_kb = 64 * 1024, .wall_ms = 20000};
    const char *argv[] = {"/usr/bin/python3", "-c", "a = bytearray(200 << 20)", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1, .limits = lim};
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_msg(res.verdict == SBX_MLE, "%s %s", sbx_verdict_name(res.verdict), res.message);
    sbx_result_free(&res);
    /* Below the limit: the peak is reported, and it is the program's, not the supervisor's. */
    const char *small[] = {"/usr/bin/python3", "-c", "a = bytearray(20 << 20); a[::4096] = b'x' * len(a[::4096])",
                           NULL};
    run.argv = small;
    ck_assert_int_eq(sbx_run(box, &run, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    ck_assert_uint_ge(res.memory_kb, 20 * 1024);
    ck_assert_uint_lt(res.memory_kb, 64 * 1024);
    sbx_result_free(&res);
}
END_TEST

static void *cancel_later(void *arg)
{
    usleep(200000);
    sbx_box_cancel(arg);
    return NULL;
}

START_TEST(test_cancel)
{
    struct sbx_result res;
    pthread_t t;
    struct sbx_limits lim = {.cpu_ms = 10000, .wall_ms = 20000};
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, box), 0);
    ck_assert_int_eq(sh(&res, "sleep 10", &lim, NULL), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    ck_assert(res.cancelled);
    ck_assert_str_eq(res.message, "cancelled");
    sbx_result_free(&res);
    /* A cancel between runs does not leak into the next one. */
    sbx_box_cancel(box);
    ck_assert_int_eq(sh(&res, "true", NULL, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    sbx_result_free(&res);
}
END_TEST

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while(d && readdir(d))
        n++;
    if(d)
        closedir(d);
    return n;
}

START_TEST(test_reuse_leaks_nothing)
{
    struct sbx_result res;
    ck_assert_int_eq(sh(&res, "true", NULL, NULL), 0); /* the same state before and after: next init asked for */
    sbx_result_free(&res);
    int before = count_fds();
    for(int i = 0; i < 30; i++) {
        ck_assert_int_eq(sh(&res, "echo $$", NULL, NULL), 0);
        ck_assert_int_eq(res.verdict, SBX_OK);
        ck_assert_str_eq(res.out.data, "2\n"); /* pid 2: the program in a fresh pid namespace, every time */
        sbx_result_free(&res);
    }
    ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(test_fresh_box_each_run)
{
    struct sbx_result res;
    ck_assert_int_eq(sh(&res, "echo x > /box/left && echo y > /tmp/left && echo z > /dev/shm/left", NULL, NULL), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    sbx_result_free(&res);
    ck_assert_int_eq(sh(&res, "test ! -e /box/left && test ! -e /tmp/left && test ! -e /dev/shm/left", NULL, NULL),
                     0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_confinement_seen_from_inside)
{
    struct sbx_result res;
    char want[64];
    ck_assert_int_eq(sh(&res,
                        "hostname; id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status;"
                        " ls /proc | grep -c '^[0-9]'; touch /usr/x 2>/dev/null || echo ro",
                        NULL, NULL),
                     0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    snprintf(want, sizeof want, "sandbox\n%u\n%u\n", FIRST_UID + 10, FIRST_UID + 10);
    ck_assert_msg(strncmp(res.out.data, want, strlen(want)) == 0, "%s", res.out.data);
    ck_assert_msg(strstr(res.out.data, "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"), "%s", res.out.data);
    ck_assert_msg(strstr(res.out.data, "NoNewPrivs:\t1\nSeccomp:\t2\n"), "%s", res.out.data);
    /* sh, ls and grep: init (pid 1, root) is hidden by hidepid. */
    ck_assert_msg(strstr(res.out.data, "\n3\nro\n"), "%s", res.out.data);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_confine_self_for_zygotes)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if(pid == 0) {
        struct sbx_limits lim = {0};
        if(sbx_box_enter(box) || sbx_confine_self(box, &lim, SBX_PROFILE_DEFAULT))
            _exit(10);
        if(getuid() != sbx_box_uid(box) || access("/box", F_OK) != 0 || access("/root", F_OK) == 0)
            _exit(11);
        syscall(SYS_ptrace, 0, 0, 0, 0); /* PTRACE_TRACEME: must be fatal */
        _exit(12);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status 0x%x", status);
}
END_TEST

START_TEST(test_cgroup_v2_path)
{
    struct sbx_caps caps;
    char err[512];
    sbx_probe(&caps);
    if(!caps.cg_unified[0])
        return; /* no cgroup2 mount here */
    struct sbx_ctx *c2;
    struct sbx_box *b2;
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = CGROUP, .cgroup_force_v2 = true};
    ck_assert_msg(sbx_ctx_init(&c2, &cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sbx_box_init(c2, 11, &b2, err, sizeof err) == 0, "%s", err);
    struct sbx_result res;
    const char *argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1, .limits = {.cpu_ms = 200, .wall_ms = 20000}};
    ck_assert_int_eq(sbx_run(b2, &run, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_TLE_CPU);
    ck_assert_uint_ge(res.cpu_ms, 200);
    sbx_result_free(&res);
    const char *t[] = {"/bin/true", NULL};
    run.argv = t;
    ck_assert_int_eq(sbx_run(b2, &run, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    sbx_result_free(&res);
    sbx_box_close(b2);
    sbx_ctx_close(c2);
}
END_TEST

START_TEST(test_without_cgroups)
{
    char err[512];
    struct sbx_ctx *c0;
    struct sbx_box *b0;
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = CGROUP, .cgroup_disable = true};
    ck_assert_msg(sbx_ctx_init(&c0, &cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sbx_box_init(c0, 12, &b0, err, sizeof err) == 0, "%s", err);
    struct sbx_result res;
    const char *argv[] = {"/bin/sh", "-c", "echo hi", NULL};
    struct sbx_run run = {.argv = argv, .stdin_fd = -1};
    ck_assert_int_eq(sbx_run(b0, &run, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_OK);
    ck_assert_str_eq(res.memory_source, "rusage");
    sbx_result_free(&res);
    /* RLIMIT_CPU is the only CPU limit left: SIGXCPU. */
    const char *spin[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
    struct sbx_run r2 = {.argv = spin, .stdin_fd = -1, .limits = {.cpu_ms = 100, .wall_ms = 20000}};
    ck_assert_int_eq(sbx_run(b0, &r2, &res), 0);
    ck_assert_int_eq(res.verdict, SBX_TLE_CPU);
    sbx_result_free(&res);
    sbx_box_close(b0);
    sbx_ctx_close(c0);
}
END_TEST

/* Kill every process of the box on the host (its spawner and waiting init), as an OOM kill or an operator
 * might: the next run must still work. */
START_TEST(test_box_recovers_from_killed_helpers)
{
    struct sbx_result res;
    struct sbx_caps caps;
    char path[SBX_PATH_MAX + 64], buf[256];
    int rc;
    sbx_probe(&caps);
    if(caps.cgroup != SBX_CGROUP_V1 || !caps.cg_pids[0])
        return; /* the helpers are found through the v1 pids cgroup */
    for(int round = 0; round < 4; round++) {
        ck_assert_int_eq(sh(&res, "true", NULL, NULL), 0);
        sbx_result_free(&res);
        usleep(20000); /* let the next init arrive */
        /* Both lanes: the spawners, and the init waiting for the next run in the other lane. */
        int killed = 0;
        for(int lane = 0; lane < 2; lane++) {
            snprintf(path, sizeof path, "%s/%s/box10%s/cgroup.procs", caps.cg_pids, CGROUP, lane ? "-b" : "");
            FILE *f = fopen(path, "re");
            ck_assert_ptr_nonnull(f);
            while(fgets(buf, sizeof buf, f))
                killed += kill((pid_t)atoi(buf), SIGKILL) == 0;
            fclose(f);
            for(int i = 0; i < 500; i++) { /* SIGKILL is asynchronous: wait until they are gone */
                f = fopen(path, "re");
                bool empty = !f || !fgets(buf, sizeof buf, f);
                if(f)
                    fclose(f);
                if(empty)
                    break;
                usleep(2000);
            }
        }
        ck_assert_int_ge(killed, 3); /* two spawners and the waiting init */
        rc = sh(&res, "echo alive", NULL, NULL);
        ck_assert_msg(rc == 0, "rc %d: %s", rc, res.message);
        ck_assert_msg(res.verdict == SBX_OK, "%s %s", sbx_verdict_name(res.verdict), res.message);
        ck_assert_str_eq(res.out.data, "alive\n");
        sbx_result_free(&res);
    }
}
END_TEST

struct bg_run {
    const char *cmd;
    struct sbx_result res;
    int rc;
};

static void *bg_sh(void *arg)
{
    struct bg_run *b = arg;
    b->rc = sh(&b->res, b->cmd, NULL, NULL);
    return NULL;
}

static int count_lines(const char *path)
{
    char buf[64];
    int n = 0;
    FILE *f = fopen(path, "re");
    while(f && fgets(buf, sizeof buf, f))
        n++;
    if(f)
        fclose(f);
    return n;
}

/* While a run goes in one lane, the other lane's spawner prepares the next run's init in the other lane's
 * cgroups (so the next run does not wait for it, and this run's usage does not count it); runs then
 * alternate between the lanes, each with its own limits and a fresh pid namespace. */
START_TEST(test_next_init_prepared_during_run)
{
    struct sbx_caps caps;
    char lane[2][SBX_PATH_MAX + 64];
    sbx_probe(&caps);
    if(caps.cgroup != SBX_CGROUP_V1 || !caps.cg_pids[0])
        return; /* the lanes' members are read from the v1 pids hierarchy */
    for(int i = 0; i < 2; i++)
        snprintf(lane[i], sizeof lane[i], "%s/%s/box10%s/cgroup.procs", caps.cg_pids, CGROUP, i ? "-b" : "");
    ck_assert_int_eq(count_lines(lane[1]), 1); /* before any run: lane b holds its spawner alone */

    struct bg_run b = {.cmd = "sleep 1", .rc = -1};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, bg_sh, &b), 0);
    int seen = 0;
    for(int i = 0; i < 400 && !seen; i++) { /* well within the run's second */
        if(count_lines(lane[1]) >= 2 && count_lines(lane[0]) >= 3) /* b: spawner + init; a: + the run */
            seen = 1;
        else
            usleep(2000);
    }
    pthread_join(t, NULL);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_msg(b.res.verdict == SBX_OK, "%s %s", sbx_verdict_name(b.res.verdict), b.res.message);
    sbx_result_free(&b.res);
    ck_assert_msg(seen, "the next run's init was not prepared in the other lane during the run");

    for(int i = 0; i < 6; i++) { /* then the runs alternate between the lanes */
        struct sbx_result res;
        ck_assert_int_eq(sh(&res, "echo $$", NULL, NULL), 0);
        ck_assert_msg(res.verdict == SBX_OK, "%s %s", sbx_verdict_name(res.verdict), res.message);
        ck_assert_str_eq(res.out.data, "2\n");
        sbx_result_free(&res);
    }
}
END_TEST

START_TEST(test_box_uid_is_exclusive)
{
    char err[512];
    struct sbx_box *again = (void *)1;
    ck_assert_int_eq(sbx_box_init(ctx, 10, &again, err, sizeof err), -EADDRINUSE);
    ck_assert_ptr_null(again);
    ck_assert_msg(strstr(err, "already used") != NULL, "%s", err);
}
END_TEST

START_TEST(test_names_and_defaults)
{
    struct sbx_limits l = {.cpu_ms = 500};
    sbx_limits_default(&l);
    ck_assert_uint_eq(l.wall_ms, 2000);
    ck_assert_uint_eq(l.stack_kb, l.memory_kb);
    ck_assert_uint_eq(l.stderr_bytes, l.output_bytes);
    ck_assert_str_eq(sbx_verdict_name(SBX_TLE_CPU), "TLE_CPU");
    ck_assert_str_eq(sbx_verdict_name(SBX_OK), "OK");
    ck_assert_int_lt(SBX_SYS, SBX_OLE); /* precedence is the enum order */
    ck_assert_int_lt(SBX_MLE, SBX_TLE_WALL);
    ck_assert_int_lt(SBX_TLE_CPU, SBX_INTERNAL);
}
END_TEST

int main(void)
{
    if(geteuid() != 0) {
        fprintf(stderr, "SKIP: the sandbox needs root\n");
        return 77;
    }
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("api");
    tcase_add_checked_fixture(tc, setup, teardown); /* a box belongs to the process that made it */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_probe);
    tcase_add_test(tc, test_ctx_refuses_below_minimum);
    tcase_add_test(tc, test_true_ok);
    tcase_add_test(tc, test_exit_code_and_signal);
    tcase_add_test(tc, test_stdin_stdout_stderr);
    tcase_add_test(tc, test_stdin_fd);
    tcase_add_test(tc, test_clean_environment);
    tcase_add_test(tc, test_output_cap);
    tcase_add_test(tc, test_files_in_and_out);
    tcase_add_test(tc, test_bad_input_name);
    tcase_add_test(tc, test_run_binds);
    tcase_add_test(tc, test_network_host);
    tcase_add_test(tc, test_exec_failure_is_internal);
    tcase_add_test(tc, test_wall_limit);
    tcase_add_test(tc, test_cpu_limit);
    tcase_add_test(tc, test_memory_limit);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_reuse_leaks_nothing);
    tcase_add_test(tc, test_fresh_box_each_run);
    tcase_add_test(tc, test_confinement_seen_from_inside);
    tcase_add_test(tc, test_confine_self_for_zygotes);
    tcase_add_test(tc, test_cgroup_v2_path);
    tcase_add_test(tc, test_without_cgroups);
    tcase_add_test(tc, test_box_recovers_from_killed_helpers);
    tcase_add_test(tc, test_next_init_prepared_during_run);
    tcase_add_test(tc, test_box_uid_is_exclusive);
    tcase_add_test(tc, test_names_and_defaults);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
