/* The bare backend: fork + exec under rlimits in a scratch directory, as an unprivileged uid when the
 * executor is root. It isolates NOTHING (same filesystem, network and pid space as the executor) and is
 * only allowed with --min-isolation none: it exists so the daemon, the runtimes and the end-to-end tests
 * work on hosts where the sandbox cannot. Limits: CPU by RLIMIT_CPU (whole seconds) checked against the
 * rusage, wall by a timer that kills the process group, memory by RLIMIT_AS (MLE is inferred when a run
 * that failed had a peak RSS near the limit), output by the caps, processes not enforced. */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int place_file(int dirfd, const struct sbx_file_in *f, uid_t uid)
{
    if (!f->name[0] || strchr(f->name, '/') || strcmp(f->name, "..") == 0 || strcmp(f->name, ".") == 0)
        return -EINVAL; /* the runtimes only use flat names */
    int fd = openat(dirfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    f->mode ? f->mode : 0644);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (f->fd >= 0) {
        char buf[65536];
        off_t off = 0;
        ssize_t n;
        while ((n = pread(f->fd, buf, sizeof buf, off)) > 0 && !(rc = ex_write_all(fd, buf, (size_t)n)))
            off += n;
        if (n < 0)
            rc = -errno;
    } else if (f->len) {
        rc = ex_write_all(fd, f->data, f->len);
    }
    if (!rc && uid && fchown(fd, uid, uid))
        rc = -errno;
    close(fd);
    return rc;
}

static void collect(int dirfd, const struct sbx_file_out *f, struct sbx_collected *c)
{
    uint64_t max = f->max_bytes ? f->max_bytes : (16u << 20);
    int fd = openat(dirfd, f->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        c->error = errno == ELOOP ? -ELOOP : -errno;
        return;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        c->error = -EINVAL;
        close(fd);
        return;
    }
    size_t want = (uint64_t)st.st_size > max ? (size_t)max : (size_t)st.st_size;
    c->data = malloc(want + 1);
    if (!c->data) {
        c->error = -ENOMEM;
        close(fd);
        return;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, c->data + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    c->data[got] = '\0';
    c->len = got;
    c->truncated = (uint64_t)st.st_size > max;
    close(fd);
}

/* Read what is available from fd into o (at most cap bytes kept); returns 1 on EOF. Sets *over when the
 * program wrote more than cap. */
static int drain(int fd, struct sbx_output *o, uint64_t cap, bool *over)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : 1;
    if (n == 0)
        return 1;
    o->total += (uint64_t)n;
    size_t keep = o->len < cap ? (size_t)(cap - o->len < (uint64_t)n ? cap - o->len : (uint64_t)n) : 0;
    if (keep) {
        char *p = realloc(o->data, o->len + keep + 1);
        if (!p)
            return 1;
        o->data = p;
        memcpy(o->data + o->len, buf, keep);
        o->len += keep;
        o->data[o->len] = '\0';
    }
    if (o->total > cap) {
        o->truncated = true;
        *over = true;
    }
    return 0;
}

static void set_limit(int resource, uint64_t soft, uint64_t hard)
{
    struct rlimit rl = {(rlim_t)soft, (rlim_t)hard};
    setrlimit(resource, &rl);
}

int ex_bare_run(struct ex_runner *r, const struct sbx_run *run, struct sbx_result *res)
{
    memset(res, 0, sizeof *res);
    res->memory_source = "rusage";
    struct sbx_limits lim = run->limits;
    sbx_limits_default(&lim);
    uid_t uid = geteuid() == 0 ? r->uid : 0;
    char dir[320];
    snprintf(dir, sizeof dir, "%s/jobgate-run-%u-XXXXXX", r->work_dir, r->slot);
    int dirfd = -1, in_fd = -1, out[2] = {-1, -1}, errp[2] = {-1, -1}, exec_err[2] = {-1, -1};
    int pidfd = -1, rc = 0;
    pid_t pid = -1;
    if (!mkdtemp(dir)) {
        rc = -errno;
        snprintf(res->message, sizeof res->message, "mkdtemp %.200s: %s", dir, strerror(errno));
        dir[0] = '\0';
        goto out;
    }
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0 || (uid && chown(dir, uid, uid))) {
        rc = -errno;
        snprintf(res->message, sizeof res->message, "scratch directory: %s", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < run->nfiles_in; i++) {
        if ((rc = place_file(dirfd, &run->files_in[i], uid))) {
            snprintf(res->message, sizeof res->message, "placing %s: %s", run->files_in[i].name,
                     strerror(-rc));
            goto out;
        }
    }
    in_fd = run->stdin_fd >= 0 ? fcntl(run->stdin_fd, F_DUPFD_CLOEXEC, 0) : memfd_create("stdin", MFD_CLOEXEC);
    if (in_fd < 0 || (run->stdin_fd < 0 && (ex_write_all(in_fd, run->stdin_data, run->stdin_len) ||
                                             lseek(in_fd, 0, SEEK_SET) < 0))) {
        rc = -errno;
        snprintf(res->message, sizeof res->message, "stdin: %s", strerror(errno));
        goto out;
    }
    if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(exec_err, O_CLOEXEC)) {
        rc = -errno;
        snprintf(res->message, sizeof res->message, "pipe: %s", strerror(errno));
        goto out;
    }
    static const char *const empty_env[] = {NULL};
    char *const *envp = (char *const *)(run->envp ? run->envp : empty_env);
    uint64_t cpu_s = (lim.cpu_ms + 999) / 1000;
    atomic_store(&r->cancel, false);
    uint64_t start = now_us();
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        snprintf(res->message, sizeof res->message, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) { /* child: async-signal-safe calls only until exec */
        setpgid(0, 0);
        dup2(in_fd, 0);
        dup2(out[1], 1);
        dup2(errp[1], 2);
        if (fchdir(dirfd) == 0) {
            set_limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
            set_limit(RLIMIT_AS, lim.memory_kb * 1024, lim.memory_kb * 1024);
            set_limit(RLIMIT_STACK, lim.stack_kb * 1024, lim.stack_kb * 1024);
            set_limit(RLIMIT_FSIZE, lim.file_size_bytes, lim.file_size_bytes);
            set_limit(RLIMIT_NOFILE, lim.open_files, lim.open_files);
            set_limit(RLIMIT_CORE, 0, 0);
            if (!uid || (setgroups(0, NULL) == 0 && setresgid(uid, uid, uid) == 0 &&
                         setresuid(uid, uid, uid) == 0)) {
                syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
                execve(run->argv[0], (char *const *)run->argv, envp);
            }
        }
        int e = errno;
        (void)!write(exec_err[1], &e, sizeof e);
        _exit(127);
    }
    atomic_store(&r->bare_pgid, pid);
    setpgid(pid, pid); /* also here, so a kill right after fork reaches the group */
    close(out[1]);
    close(errp[1]);
    close(exec_err[1]);
    out[1] = errp[1] = exec_err[1] = -1;
    int child_errno = 0;
    if (read(exec_err[0], &child_errno, sizeof child_errno) == (ssize_t)sizeof child_errno) {
        waitpid(pid, NULL, 0);
        pid = -1;
        rc = -child_errno;
        snprintf(res->message, sizeof res->message, "exec %s: %s", run->argv[0], strerror(child_errno));
        goto out;
    }
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFL, O_NONBLOCK);
    bool out_eof = false, err_eof = false, exited = false, over = false, wall_kill = false;
    uint64_t deadline = start + lim.wall_ms * 1000, end = 0;
    while (!(exited && out_eof && err_eof)) {
        uint64_t t = now_us();
        if (!exited && t >= deadline) {
            wall_kill = true;
            kill(-pid, SIGKILL);
        }
        if (exited && t >= end + 200000)
            break; /* a leftover holds the pipes open: it was killed, stop waiting */
        if (over || atomic_load(&r->cancel))
            kill(-pid, SIGKILL);
        struct pollfd p[3] = {{out_eof ? -1 : out[0], POLLIN, 0},
                              {err_eof ? -1 : errp[0], POLLIN, 0},
                              {exited ? -1 : pidfd, POLLIN, 0}};
        int ms = exited ? 50 : (int)((deadline > t ? deadline - t : 0) / 1000 + 1);
        if (ms > 100)
            ms = 100;
        if (poll(p, 3, ms) < 0 && errno != EINTR)
            break;
        if (p[0].revents && drain(out[0], &res->out, lim.output_bytes, &over))
            out_eof = true;
        if (p[1].revents && drain(errp[0], &res->err, lim.stderr_bytes, &over))
            err_eof = true;
        if (p[2].revents || (pidfd < 0 && waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOHANG | WNOWAIT) == 0)) {
            exited = true;
            end = now_us();
            kill(-pid, SIGKILL); /* daemonized leftovers in the group */
        }
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    wait4(pid, &status, 0, &ru);
    pid = -1;
    atomic_store(&r->bare_pgid, 0);
    if (!end)
        end = now_us();
    res->wall_us = end - start;
    res->wall_ms = res->wall_us / 1000;
    res->cpu_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
                  (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
    res->cpu_ms = res->cpu_us / 1000;
    res->memory_kb = (uint64_t)ru.ru_maxrss;
    res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    bool failed = res->signal || res->exit_code;
    if (atomic_load(&r->cancel)) {
        res->verdict = SBX_INTERNAL;
        res->cancelled = true;
        snprintf(res->message, sizeof res->message, "cancelled");
    } else if (res->cpu_ms > lim.cpu_ms || res->signal == SIGXCPU) {
        res->verdict = SBX_TLE_CPU;
        snprintf(res->message, sizeof res->message, "CPU limit");
    } else if (wall_kill) {
        res->verdict = SBX_TLE_WALL;
        snprintf(res->message, sizeof res->message, "wall limit");
    } else if (failed && res->memory_kb * 4 >= lim.memory_kb * 3) {
        res->verdict = SBX_MLE;
        snprintf(res->message, sizeof res->message, "memory limit (RLIMIT_AS, inferred from peak RSS)");
    } else if (over || res->signal == SIGXFSZ) {
        res->verdict = SBX_OLE;
        snprintf(res->message, sizeof res->message, "output limit");
    } else if (res->signal == SIGSYS) {
        res->verdict = SBX_SYS;
        snprintf(res->message, sizeof res->message, "SIGSYS");
    } else if (res->signal) {
        res->verdict = SBX_RE_SIGNAL;
        snprintf(res->message, sizeof res->message, "signal %d", res->signal);
    } else if (res->exit_code) {
        res->verdict = SBX_RE_EXIT;
        snprintf(res->message, sizeof res->message, "exit code %d", res->exit_code);
    }
    if (run->nfiles_out) {
        res->files = calloc(run->nfiles_out, sizeof *res->files);
        if (!res->files) {
            rc = -ENOMEM;
            goto out;
        }
        res->nfiles = run->nfiles_out;
        for (size_t i = 0; i < run->nfiles_out; i++)
            collect(dirfd, &run->files_out[i], &res->files[i]);
    }
out:
    if (rc) {
        res->verdict = SBX_INTERNAL;
        if (!res->message[0])
            snprintf(res->message, sizeof res->message, "bare backend: %s", strerror(-rc));
    }
    if (pid > 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    atomic_store(&r->bare_pgid, 0);
    int fds[] = {dirfd, in_fd, out[0], out[1], errp[0], errp[1], exec_err[0], exec_err[1], pidfd};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (dir[0])
        ex_rm_tree(dir);
    return rc;
}

int ex_runner_run(struct ex_runner *r, const struct sbx_run *run, struct sbx_result *res)
{
    if (!r->box)
        return ex_bare_run(r, run, res);
    atomic_store(&r->cancel, false);
    struct sbx_run with_net = *run;
    with_net.network = r->network;
    return sbx_run(r->box, &with_net, res);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ex_runner_warm_up(struct ex_runner *r, const struct sbx_zygote_config *zc)
{
    if (!r->box || sbx_zygote_pid(r->box) >= 0 || now_ms() < r->zygote_retry_ms)
        return;
    sbx_zygote_stop(r->box); /* a zygote that is configured but not running: start it again, as told */
    char err[256];
    int rc = sbx_zygote_start(r->box, zc, err, sizeof err);
    if (rc == 0) {
        JG_INFO("executor", "slot %u: Python zygote started (pid %d)", r->slot, (int)sbx_zygote_pid(r->box));
        return;
    }
    /* Not on this host or build (cgroup v2, no Python headers, another Python): fresh interpreters. */
    r->zygote_retry_ms = now_ms() + (rc == -ENOTSUP ? 3600 * 1000L : 60 * 1000L);
    JG_WARN("executor", "slot %u: no Python zygote (%s): every run starts an interpreter", r->slot,
            err[0] ? err : strerror(-rc));
}

int ex_runner_run_warm(struct ex_runner *r, const struct sbx_run *run, const struct sbx_zygote_config *zc,
                       struct sbx_result *res)
{
    if (!r->box || !zc || r->network != SBX_NETWORK_NONE || run->nbinds)
        return ex_runner_run(r, run, res);
    if (!sbx_zygote_accepts(r->box, run))
        ex_runner_warm_up(r, zc);
    if (!sbx_zygote_accepts(r->box, run))
        return ex_runner_run(r, run, res);
    atomic_store(&r->cancel, false);
    int rc = sbx_zygote_run(r->box, run, res);
    if (rc != -ENOTSUP)
        return rc;
    /* Nothing of the run started: the zygote could not be had even once started again. Runs go without it
     * for a minute rather than each trying again. */
    JG_WARN("executor", "slot %u: the zygote could not take a run (%s): runs go without it for a minute",
            r->slot, res->message);
    sbx_zygote_stop(r->box);
    r->zygote_retry_ms = now_ms() + 60 * 1000L;
    sbx_result_free(res);
    return ex_runner_run(r, run, res);
}

void ex_runner_cancel(struct ex_runner *r)
{
    atomic_store(&r->cancel, true);
    if (r->box) {
        sbx_box_cancel(r->box);
        return;
    }
    pid_t pg = atomic_load(&r->bare_pgid);
    if (pg > 0)
        kill(-pg, SIGKILL);
}
