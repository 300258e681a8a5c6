/* hostile_runner - run one case of hostile/cases.tsv in a box and check its verdict and the host.
 *
 *   hostile_runner CASES BINDIR SRCDIR NAME [zygote]     exit 0 pass, 1 fail, 77 skip (not root)
 *
 * With "zygote", a Python case runs through the box's Python zygote (a child forked from a warm
 * interpreter instead of a fresh one), and the zygote must come out of it untouched.
 *
 * The host checks are the point: a verdict alone does not show that nothing escaped. See cases.tsv. */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Box uids from a band of this process's own: never shared with a daemon or another test run. */
static unsigned first_uid_base;
#define FIRST_UID first_uid_base
#define MAX_COLLECT 8

struct tcase {
    char line[1024];
    int index;
    const char *name, *program, *verdict, *limits, *expect;
};

static int failures;

#define CHECK(cond, ...)                                                                                    \
    do {                                                                                                    \
        if(!(cond)) {                                                                                       \
            fprintf(stderr, "FAIL: " __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                            \
            failures++;                                                                                     \
        }                                                                                                   \
    } while(0)

static int find_case(const char *file, const char *name, struct tcase *c)
{
    FILE *f = fopen(file, "re");
    int index = 0;
    if(!f)
        return -errno;
    while(fgets(c->line, sizeof c->line, f)) {
        if(c->line[0] == '#' || c->line[0] == '\n')
            continue;
        c->line[strcspn(c->line, "\n")] = '\0';
        char *save, *fields[5];
        int n = 0;
        for(char *t = strtok_r(c->line, "\t", &save); t && n < 5; t = strtok_r(NULL, "\t", &save))
            fields[n++] = t;
        index++;
        if(n == 5 && strcmp(fields[0], name) == 0) {
            c->name = fields[0];
            c->program = fields[1];
            c->verdict = fields[2];
            c->limits = fields[3];
            c->expect = fields[4];
            c->index = index;
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    return -ENOENT;
}

static void parse_limits(const char *spec, struct sbx_limits *l)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    if(strcmp(buf, "-") == 0)
        return;
    char *save;
    for(char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if(!eq)
            continue;
        *eq = '\0';
        unsigned long long v = strtoull(eq + 1, NULL, 10);
        if(!strcmp(kv, "cpu"))
            l->cpu_ms = v;
        else if(!strcmp(kv, "wall"))
            l->wall_ms = v;
        else if(!strcmp(kv, "mem"))
            l->memory_kb = v;
        else if(!strcmp(kv, "procs"))
            l->processes = (uint32_t)v;
        else if(!strcmp(kv, "out"))
            l->output_bytes = v;
        else if(!strcmp(kv, "fsize"))
            l->file_size_bytes = v;
        else
            fprintf(stderr, "unknown limit %s\n", kv);
    }
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if(fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    fchmod(fd, mode);
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if(fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n < 0 ? -EIO : 0;
}

/* A host process of the box's uid: kill(-1) or any escape from the pid namespace would reach it. */
static pid_t start_sleeper(uid_t uid)
{
    pid_t pid = fork();
    if(pid == 0) {
        if(setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
            _exit(1);
        for(;;)
            pause();
    }
    return pid;
}

/* Processes of uid on the host other than except. */
static int count_uid_processes(uid_t uid, pid_t except)
{
    int count = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while(d && (e = readdir(d))) {
        char path[64], buf[2048];
        pid_t pid = (pid_t)atoi(e->d_name);
        if(pid <= 0 || pid == except)
            continue;
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        if(read_file(path, buf, sizeof buf))
            continue;
        const char *u = strstr(buf, "\nUid:");
        if(u && (uid_t)strtoul(u + 5, NULL, 10) == uid) {
            fprintf(stderr, "left behind: pid %d\n%.300s\n", (int)pid, buf);
            count++;
        }
    }
    if(d)
        closedir(d);
    return count;
}

static bool contains(const char *hay, size_t len, const char *needle)
{
    return hay && len && memmem(hay, len, needle, strlen(needle)) != NULL;
}

int main(int argc, char **argv)
{
    struct tcase c;
    char dir[] = "/tmp/sbx-hostile-XXXXXX", canary[64], secret[64], buf[256], err[512], prog[1024];
    struct sbx_ctx *ctx = NULL;
    struct sbx_box *box = NULL;
    struct sbx_result res = {0};
    pid_t sleeper = -1;
    int rc, prog_fd = -1;

    if(argc != 5 && !(argc == 6 && !strcmp(argv[5], "zygote"))) {
        fprintf(stderr, "usage: hostile_runner CASES BINDIR SRCDIR NAME [zygote]\n");
        return 2;
    }
    bool zygote = argc == 6;
    if(geteuid() != 0) {
        fprintf(stderr, "SKIP: the sandbox needs root\n");
        return 77;
    }
    /* The secret must be in the initial environment block, where /proc/<pid>/environ reads it. */
    const char *token = getenv("JOBGATE_SECRET");
    if(!token) {
        snprintf(buf, sizeof buf, "JOBGATE_SECRET=tok-%d-%ld", (int)getpid(), (long)random());
        putenv(buf);
        execv("/proc/self/exe", argv);
        return 2;
    }
    if((rc = find_case(argv[1], argv[4], &c))) {
        fprintf(stderr, "case %s: %s\n", argv[4], strerror(-rc));
        return 2;
    }
    bool python = strstr(c.program, ".py") != NULL;
    if(zygote && !python) {
        fprintf(stderr, "case %s: only Python cases run through the zygote\n", c.name);
        return 2;
    }
    if(python)
        snprintf(prog, sizeof prog, "%s/%s", argv[3], c.program);
    else
        snprintf(prog, sizeof prog, "%s/%.*s", argv[2], (int)(strcspn(c.program, ".")), c.program);
    prog_fd = open(prog, O_RDONLY | O_CLOEXEC);
    if(prog_fd < 0 || !mkdtemp(dir)) {
        perror(prog);
        return 2;
    }
    chmod(dir, 0777); /* visible and writable to the box uid, were it on the host: isolation must hold */
    snprintf(canary, sizeof canary, "%s/canary", dir);
    snprintf(secret, sizeof secret, "%s/secret", dir);
    snprintf(buf, sizeof buf, "SECRET-FILE-%s", token);
    if(write_file(canary, "untouched\n", 0666) || write_file(secret, buf, 0644)) {
        perror(dir);
        return 2;
    }

    first_uid_base = 1000000u + (unsigned)(getpid() % 20000) * 256u;
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = "jobgate-sbx-test"};
    rc = sbx_ctx_init(&ctx, &cfg, err, sizeof err);
    if(rc) {
        fprintf(stderr, "ctx: %s\n", err);
        return 1;
    }
    unsigned box_id = 100 + (unsigned)c.index + (zygote ? 100 : 0); /* ctest -j runs cases in parallel */
    sleeper = start_sleeper(FIRST_UID + box_id); /* before the box: it must not inherit the box's fds */
    rc = sbx_box_init(ctx, box_id, &box, err, sizeof err);
    if(rc) {
        fprintf(stderr, "box: %s\n", err);
        kill(sleeper, SIGKILL);
        return 1;
    }

    struct sbx_file_in in = {.name = python ? "prog.py" : "prog", .fd = prog_fd, .mode = 0755};
    const char *py_argv[] = {"/usr/bin/python3", "/box/prog.py", canary, secret, NULL};
    const char *c_argv[] = {"/box/prog", canary, secret, NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", "HOME=/box", NULL};
    struct sbx_file_out out[MAX_COLLECT];
    bool want_error[MAX_COLLECT];
    size_t nout = 0;
    int want_exit = -1;
    char expect[256];
    snprintf(expect, sizeof expect, "%s", c.expect);
    char *save;
    for(char *kv = strtok_r(expect, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        if(!strncmp(kv, "exit=", 5)) {
            want_exit = atoi(kv + 5);
        } else if(!strncmp(kv, "collect=", 8) && nout < MAX_COLLECT) {
            char *colon = strrchr(kv, ':');
            want_error[nout] = colon && !strcmp(colon + 1, "error");
            if(colon)
                *colon = '\0';
            out[nout++] = (struct sbx_file_out){.name = kv + 8, .max_bytes = 4096};
        }
    }
    struct sbx_run run = {
        .argv = python ? py_argv : c_argv,
        .envp = env,
        .stdin_fd = -1,
        .files_in = &in,
        .nfiles_in = 1,
        .files_out = out,
        .nfiles_out = nout,
    };
    parse_limits(c.limits, &run.limits);
    const char *zygote_argv[] = {"/usr/bin/python3", NULL};
    struct sbx_zygote_config zc = {.argv = zygote_argv, .envp = env};
    pid_t zpid = -1;
    if(zygote) {
        if((rc = sbx_zygote_start(box, &zc, err, sizeof err))) {
            fprintf(stderr, "zygote: %s (%s)\n", err, strerror(-rc));
            return 1;
        }
        zpid = sbx_zygote_pid(box);
        rc = sbx_zygote_run(box, &run, &res);
        CHECK(rc != -ENOTSUP, "the zygote did not take the run: %s", res.message);
    } else {
        rc = sbx_run(box, &run, &res);
    }
    printf("%s: verdict %s (%s) exit %d signal %d cpu %llu ms wall %llu ms mem %llu KiB (%s) out %llu B err %llu B\n",
           c.name, sbx_verdict_name(res.verdict), res.message, res.exit_code, res.signal,
           (unsigned long long)res.cpu_ms, (unsigned long long)res.wall_ms, (unsigned long long)res.memory_kb,
           res.memory_source, (unsigned long long)res.out.total, (unsigned long long)res.err.total);
    if(res.out.len)
        printf("stdout: %.600s\n", res.out.data);
    if(res.err.len)
        printf("stderr: %.600s\n", res.err.data);

    /* The verdict and the case's own expectations. */
    CHECK(strcmp(sbx_verdict_name(res.verdict), c.verdict) == 0, "verdict %s, want %s",
          sbx_verdict_name(res.verdict), c.verdict);
    if(want_exit >= 0)
        CHECK(res.signal == 0 && res.exit_code == want_exit, "exit %d signal %d, want exit %d", res.exit_code,
              res.signal, want_exit);
    for(size_t i = 0; i < nout && i < res.nfiles; i++) {
        const struct sbx_collected *f = &res.files[i];
        printf("collect %s: error %d (%s) len %zu\n", out[i].name, f->error, f->error ? strerror(-f->error) : "",
               f->len);
        CHECK(want_error[i] ? f->error != 0 && !f->data : f->error == 0, "collect %s: error %d", out[i].name,
              f->error);
    }

    /* The host. */
    char now[64];
    CHECK(read_file(canary, now, sizeof now) == 0 && strcmp(now, "untouched\n") == 0, "host canary changed");
    DIR *d = opendir(dir);
    struct dirent *e;
    while(d && (e = readdir(d)))
        CHECK(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "canary") ||
                  !strcmp(e->d_name, "secret"),
              "new host file %s/%s", dir, e->d_name);
    if(d)
        closedir(d);
    CHECK(sleeper > 0 && kill(sleeper, 0) == 0 && waitpid(sleeper, NULL, WNOHANG) == 0,
          "host process of the box uid was killed");
    CHECK(count_uid_processes(sbx_box_uid(box), sleeper) == 0, "processes of the box uid left on the host");
    const char *leaks[] = {token, "SECRET-FILE-"};
    for(size_t i = 0; i < 2; i++) {
        CHECK(!contains(res.out.data, res.out.len, leaks[i]) && !contains(res.err.data, res.err.len, leaks[i]),
              "a host secret appeared in the output");
        for(size_t j = 0; j < res.nfiles; j++)
            CHECK(!contains(res.files[j].data, res.files[j].len, leaks[i]), "a host secret was collected");
    }
    sbx_result_free(&res);

    /* The box survives its hostile tenant. */
    const char *true_argv[] = {"/bin/true", NULL};
    struct sbx_run again = {.argv = true_argv, .stdin_fd = -1};
    sbx_run(box, &again, &res);
    CHECK(res.verdict == SBX_OK, "box unusable afterwards: %s %s", sbx_verdict_name(res.verdict), res.message);
    sbx_result_free(&res);
    if(zygote) {
        /* So does the zygote: the same process (the run could not signal, trace or kill it), still serving. */
        CHECK(sbx_zygote_pid(box) == zpid && kill(zpid, 0) == 0, "the zygote %d did not survive (now %d)",
              (int)zpid, (int)sbx_zygote_pid(box));
        struct sbx_file_in hello = {.name = "prog.py", .data = "print('again')\n", .len = 15, .fd = -1};
        struct sbx_run next = {.argv = py_argv, .envp = env, .stdin_fd = -1, .files_in = &hello, .nfiles_in = 1};
        rc = sbx_zygote_run(box, &next, &res);
        CHECK(rc == 0 && res.verdict == SBX_OK && res.out.len == 6 && !memcmp(res.out.data, "again\n", 6),
              "the zygote's next run: %d %s %s", rc, sbx_verdict_name(res.verdict), res.message);
        sbx_result_free(&res);
    }

    if(sleeper > 0) {
        kill(sleeper, SIGKILL);
        waitpid(sleeper, NULL, 0);
    }
    sbx_box_close(box);
    sbx_ctx_close(ctx);
    close(prog_fd);
    unlink(canary);
    unlink(secret);
    rmdir(dir);
    printf("%s: %s\n", c.name, failures ? "FAIL" : "pass");
    return failures ? 1 : 0;
}
