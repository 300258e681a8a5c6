/* run.c - one sandboxed run, supervisor side: inputs, the request to the box's waiting init, limits while
 * it runs, outputs, measurements and the verdict.
 *
 * Process tree of a run (the children are in init.c):
 *
 *   supervisor (caller of sbx_run)
 *     `- init     clone3(NEWPID|NEWIPC [|INTO_CGROUP]), started before the run; pid 1 of the run; root,
 *        |        non-dumpable, never execs; in the box's cgroups and namespaces, with this run's /box, /tmp
 *        |        and /proc mounted; waits for the request, clones the program, reaps it, reports.
 *        `- program  fds 0/1/2, rlimits, box uid/gid, no caps, no_new_privs, seccomp, execve.
 *
 * Killing init (SIGKILL from the supervisor's namespace) kills everything in the run's pid namespace, and
 * the namespace cannot be left (setns/unshare/clone(NEW*) are denied by seccomp), so a daemonized child dies
 * with the run. The cgroup is the second net: v2 cgroup.kill, v1 SIGKILL of cgroup.procs.
 *
 * A zygote run (sbx_zygote_run, zygote.c) has the same shape, with the zygote's child for its init: it was
 * forked ahead by the box's warm interpreter, is the zygote's child rather than ours (the zygote reaps it),
 * already holds its status pipe, and the program is its child that was forked with it and waits for the
 * request. Everything else - inputs, limits, supervision, outputs, measurements, verdicts - is this file's,
 * for both. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- supervisor side ---- */

struct capture {
    char *data;
    size_t len, alloc;
    uint64_t total, limit;
    bool eof;
};

/* Read what is there; keep up to limit bytes, count the rest. Returns true when limit was exceeded. */
static bool capture_read(struct capture *c, int fd)
{
    char chunk[65536];
    for(;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if(n < 0) {
            if(errno == EINTR)
                continue;
            break; /* EAGAIN: drained for now */
        }
        if(n == 0) {
            c->eof = true;
            break;
        }
        c->total += (uint64_t)n;
        size_t room = c->len < c->limit ? (size_t)(c->limit - c->len) : 0;
        size_t take = (size_t)n < room ? (size_t)n : room;
        if(take) {
            if(c->len + take + 1 > c->alloc) {
                size_t want = c->alloc ? c->alloc : 4096;
                while(want < c->len + take + 1)
                    want *= 2;
                char *d = realloc(c->data, want);
                if(!d)
                    break; /* keep what we have; total still counts */
                c->data = d;
                c->alloc = want;
            }
            memcpy(c->data + c->len, chunk, take);
            c->len += take;
        }
    }
    return c->total > c->limit;
}

static void capture_finish(struct capture *c, struct sbx_output *o)
{
    if(!c->data)
        c->data = calloc(1, 1);
    else
        c->data[c->len] = '\0';
    o->data = c->data;
    o->len = c->data ? c->len : 0;
    o->total = c->total;
    o->truncated = c->total > c->len;
    c->data = NULL;
}

enum kill_reason { KILL_NONE, KILL_WALL, KILL_CPU, KILL_OUTPUT, KILL_CANCEL };

struct state {
    struct sbx_box *box;
    struct sbx_cg *cg; /* the cgroups the run is counted in: the box's, or its zygote's */
    int status;        /* zygote runs: the status pipe, whose report marks the end of the run (else -1) */
    struct sbx_limits lim;
    int pidfd;
    enum kill_reason killed;
    struct capture out, err;
    uint64_t t0;
};

static void kill_run(struct state *s, enum kill_reason why)
{
    if(s->killed != KILL_NONE)
        return;
    s->killed = why;
    sbx_pidfd_send_signal(s->pidfd, SIGKILL);
}

/* Wait for init to end while draining stdout/stderr and enforcing wall, CPU and output limits. */
static void supervise(struct state *s, int out_r, int err_r)
{
    const uint64_t wall_deadline = s->t0 + s->lim.wall_ms * 1000;
    const uint64_t cpu_limit_us = s->lim.cpu_ms * 1000;
    bool cpu_polling = s->cg->mode != SBX_CGROUP_NONE;
    uint64_t next_cpu_check = s->t0 + 1000;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if(ncpu < 1)
        ncpu = 1;
    for(;;) {
        struct pollfd pf[5] = {{.fd = s->out.eof ? -1 : out_r, .events = POLLIN},
                               {.fd = s->err.eof ? -1 : err_r, .events = POLLIN},
                               {.fd = s->pidfd, .events = POLLIN},
                               {.fd = s->box->cancel, .events = POLLIN},
                               {.fd = s->killed == KILL_NONE ? s->status : -1, .events = POLLIN}};
        uint64_t now = sbx_now_us();
        uint64_t wake = wall_deadline;
        if(cpu_polling && s->killed == KILL_NONE && next_cpu_check < wake)
            wake = next_cpu_check;
        int timeout = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        if(s->killed != KILL_NONE)
            timeout = 100; /* only waiting for init to die now */
        if(poll(pf, 5, timeout) < 0 && errno != EINTR)
            break;
        if(pf[0].revents && capture_read(&s->out, out_r))
            kill_run(s, KILL_OUTPUT);
        if(pf[1].revents && capture_read(&s->err, err_r))
            kill_run(s, KILL_OUTPUT);
        if(pf[2].revents || pf[4].revents)
            break;
        if(pf[3].revents) {
            uint64_t v;
            if(read(s->box->cancel, &v, sizeof v) == sizeof v)
                kill_run(s, KILL_CANCEL);
        }
        now = sbx_now_us();
        if(now >= wall_deadline)
            kill_run(s, KILL_WALL);
        if(cpu_polling && s->killed == KILL_NONE && now >= next_cpu_check) {
            uint64_t used;
            if(sbx_cg_cpu_us(s->cg, &used) < 0) {
                cpu_polling = false;
            } else if(used > cpu_limit_us) {
                kill_run(s, KILL_CPU);
            } else {
                /* The earliest the limit can be crossed, with every CPU busy; never sooner than 1 ms. */
                uint64_t gap = (cpu_limit_us - used) / (uint64_t)ncpu;
                next_cpu_check = now + (gap < 1000 ? 1000 : gap > 100000 ? 100000 : gap);
            }
        }
    }
    /* Every writer is gone once init is reaped (the pid namespace died with it); read to EOF, but never
     * hang on a descriptor something outside the run might still hold. */
    for(int i = 0; i < 20 && (!s->out.eof || !s->err.eof); i++) {
        struct pollfd pf[2] = {{.fd = s->out.eof ? -1 : out_r, .events = POLLIN},
                               {.fd = s->err.eof ? -1 : err_r, .events = POLLIN}};
        if(poll(pf, 2, 10) <= 0)
            continue;
        if(pf[0].revents && capture_read(&s->out, out_r))
            s->killed = s->killed ? s->killed : KILL_OUTPUT;
        if(pf[1].revents && capture_read(&s->err, err_r))
            s->killed = s->killed ? s->killed : KILL_OUTPUT;
    }
}

static enum sbx_verdict worse(enum sbx_verdict a, enum sbx_verdict b)
{
    return a > b ? a : b;
}

/* The first reason found is the one reported. */
static void set_message(struct sbx_result *res, const char *text, const char *arg)
{
    if(!res->message[0])
        snprintf(res->message, sizeof res->message, "%s%s", text, arg ? arg : "");
}

/* Fill verdict and message from everything observed, in the precedence of enum sbx_verdict. */
static void judge(struct sbx_result *res, const struct state *s, const struct sbx_cg_usage *u, bool have_status)
{
    enum sbx_verdict v = SBX_OK;
    if(have_status && res->signal == 0 && res->exit_code != 0)
        v = SBX_RE_EXIT;
    if(res->signal) {
        v = worse(v, res->signal == SIGSYS    ? SBX_SYS
                     : res->signal == SIGXFSZ ? SBX_OLE
                     : res->signal == SIGXCPU ? SBX_TLE_CPU
                                              : SBX_RE_SIGNAL);
    }
    if(s->killed == KILL_OUTPUT)
        v = worse(v, SBX_OLE);
    if(u->oom_kills > 0 ||
       (u->have_memory && res->signal == SIGKILL && res->memory_kb >= s->lim.memory_kb && !s->killed))
        v = worse(v, SBX_MLE);
    if(s->killed == KILL_WALL || res->wall_us > s->lim.wall_ms * 1000)
        v = worse(v, SBX_TLE_WALL);
    if(s->killed == KILL_CPU || res->cpu_us > s->lim.cpu_ms * 1000)
        v = worse(v, SBX_TLE_CPU);
    if(s->killed == KILL_CANCEL) {
        v = SBX_INTERNAL;
        res->cancelled = true;
        set_message(res, "cancelled", NULL);
    }
    if(res->verdict == SBX_INTERNAL)
        v = SBX_INTERNAL; /* a failure before exec, already described */
    res->verdict = v;
    switch(v) {
    case SBX_TLE_CPU: set_message(res, "CPU time limit", NULL); break;
    case SBX_TLE_WALL: set_message(res, "wall time limit", NULL); break;
    case SBX_MLE: set_message(res, "memory limit (OOM kill)", NULL); break;
    case SBX_OLE:
        set_message(res, res->signal == SIGXFSZ ? "file size limit (SIGXFSZ)" : "output limit", NULL);
        break;
    case SBX_SYS: set_message(res, "forbidden system call (SIGSYS)", NULL); break;
    case SBX_RE_SIGNAL: set_message(res, "killed by SIG", sigabbrev_np(res->signal)); break;
    default: break;
    }
}

void sbx_result_free(struct sbx_result *res)
{
    free(res->out.data);
    free(res->err.data);
    for(size_t i = 0; i < res->nfiles; i++)
        free(res->files[i].data);
    free(res->files);
    memset(res, 0, sizeof *res);
}

static int stdin_memfd(const void *data, size_t len)
{
    int fd = memfd_create("sbx-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if(fd < 0)
        return -errno;
    for(size_t off = 0; off < len;) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        if(n < 0 && errno == EINTR)
            continue;
        if(n < 0) {
            int rc = -errno;
            close(fd);
            return rc;
        }
        off += (size_t)n;
    }
    /* Sealed, so the program cannot rewrite its input for a later reader; rewound for reading. */
    if(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
       lseek(fd, 0, SEEK_SET) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* Detached read-only mounts of run->binds, for the run's init to attach; an absent optional source is -1. */
static int open_binds(const struct sbx_run *run, int *fds, char *msg, size_t msglen)
{
    if(run->nbinds > SBX_RUN_BINDS_MAX) {
        snprintf(msg, msglen, "more than %d binds", SBX_RUN_BINDS_MAX);
        return -EINVAL;
    }
    for(size_t i = 0; i < run->nbinds; i++) {
        const struct sbx_bind *b = &run->binds[i];
        const char *target = b->target ? b->target : b->source;
        int rc = -EINVAL;
        if(b->source && b->source[0] == '/' && target[0] == '/' && sbx_check_name(target + 1) == 0)
            rc = sbx_bind_open(b->source, &fds[i]);
        if(rc == -ENOENT && b->optional)
            continue;
        if(rc) {
            snprintf(msg, msglen, "bind %s -> %s: %s", b->source ? b->source : "(null)", target ? target : "",
                     strerror(-rc));
            return rc;
        }
    }
    return 0;
}

/* Get the process that will run the program (the box's waiting init, or the zygote's child) and its /box. */
static int acquire(struct sbx_box *box, bool zygote, int *pidfd, int *boxfs, char *msg, size_t msglen)
{
    int rc;
    if(zygote) {
        rc = sbx_zygote_acquire(box, msg, msglen);
        *pidfd = rc ? -1 : box->zyg->next.pidfd;
        *boxfs = rc ? -1 : box->zyg->next.boxfs;
        return rc;
    }
    /* Normally the init was asked for while the previous run went (in the other lane); else ask now. */
    struct sbx_lane *lane = box->lane;
    if(lane->init.pidfd < 0 && !lane->init.pending && (rc = sbx_init_begin(box, lane, msg, msglen)))
        return rc;
    rc = sbx_init_finish(box, lane, msg, msglen);
    *pidfd = rc ? -1 : lane->init.pidfd;
    *boxfs = rc ? -1 : lane->init.boxfs;
    return rc;
}

/* Drop the process acquired, when it died before it could take the request. */
static void discard(struct sbx_box *box, bool zygote)
{
    struct sbx_cg_usage u;
    if(zygote) {
        sbx_zygote_release(box, false);
        return;
    }
    sbx_init_discard(box, box->lane);
    sbx_cg_run_end(&box->lane->cg, &u); /* v2: its run cgroup goes too */
}

/* The run's body: both kinds share everything but where the program comes from. */
static int run_core(struct sbx_box *box, const struct sbx_run *run, struct sbx_result *res, bool zygote)
{
    struct state s = {.box = box, .cg = zygote ? &box->zyg->cg : &box->lane->cg, .pidfd = -1, .status = -1,
                      .lim = run->limits};
    struct sbx_cg_usage usage = {0};
    struct sbx_init_status ist;
    struct sbx_failure fail;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, statusp[2] = {-1, -1}, reportp[2] = {-1, -1};
    int stdin_fd = -1, bind_fds[SBX_RUN_BINDS_MAX] = {-1, -1, -1}, boxfs = -1, status_r = -1;
    bool started = false, have_status = false;
    int rc = 0;
    uint64_t v;

    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    res->memory_source = "none";
    sbx_limits_default(&s.lim);
    if(!run->argv || !run->argv[0]) {
        rc = -EINVAL;
        snprintf(res->message, sizeof res->message, "no argv");
        goto out;
    }
    while(read(box->cancel, &v, sizeof v) == sizeof v) /* a cancel from before this run is stale */
        ;
    if(run->nfiles_out) {
        res->files = calloc(run->nfiles_out, sizeof *res->files);
        if(!res->files) {
            rc = -ENOMEM;
            goto out;
        }
        res->nfiles = run->nfiles_out;
    }
    s.out.limit = s.lim.output_bytes;
    s.err.limit = s.lim.stderr_bytes;

    rc = open_binds(run, bind_fds, res->message, sizeof res->message);
    if(rc)
        goto out;
    if(run->stdin_fd >= 0) {
        stdin_fd = fcntl(run->stdin_fd, F_DUPFD_CLOEXEC, 3);
        rc = stdin_fd < 0 ? -errno : 0;
    } else if(run->stdin_len) {
        stdin_fd = rc = stdin_memfd(run->stdin_data, run->stdin_len);
    } else {
        stdin_fd = fcntl(box->devnull, F_DUPFD_CLOEXEC, 3);
        rc = stdin_fd < 0 ? -errno : 0;
    }
    if(rc < 0) {
        snprintf(res->message, sizeof res->message, "stdin: %s", strerror(-rc));
        goto out;
    }
    rc = 0;
    if(pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(reportp, O_CLOEXEC) < 0 ||
       (!zygote && pipe2(statusp, O_CLOEXEC) < 0)) {
        rc = -errno;
        snprintf(res->message, sizeof res->message, "pipe: %s", strerror(-rc));
        goto out;
    }
    fcntl(outp[0], F_SETFL, O_NONBLOCK);
    fcntl(errp[0], F_SETFL, O_NONBLOCK);

    const int fds[5] = {stdin_fd, outp[1], errp[1], statusp[1], reportp[1]};
    for(int attempt = 0;; attempt++) {
        if((rc = acquire(box, zygote, &s.pidfd, &boxfs, res->message, sizeof res->message))) {
            if(zygote)
                rc = -ENOTSUP; /* nothing of the run has started: sbx_run() can take it */
            goto out;
        }
        rc = sbx_files_write(boxfs, run->files_in, run->nfiles_in, box->uid, box->gid, res->message,
                             sizeof res->message);
        if(rc)
            goto out;
        if((rc = sbx_cg_run_begin(s.cg, &s.lim))) {
            snprintf(res->message, sizeof res->message, "cgroup limits: %s", strerror(-rc));
            goto out;
        }
        s.t0 = sbx_now_us();
        rc = zygote ? sbx_zygote_request(box, run, &s.lim, fds) : sbx_init_request(box, run, &s.lim, fds, bind_fds);
        if((rc != -EPIPE && rc != -ECONNRESET) || attempt == 1)
            break;
        /* The waiting init (or zygote child) is gone: killed from outside, or by an OOM kill in the box before
         * the run. Get another and try once more; its setup report, if any, is stale. */
        discard(box, zygote);
    }
    started = true;
    struct sbx_lane *other = &box->lanes[!box->lane->index];
    if(!zygote && other->init.pidfd < 0 && !other->init.pending) {
        /* The next run's init, prepared while this one goes: in the other lane's cgroups, by its spawner,
         * so this run's usage does not count it. A failure here is retried when that run acquires it. */
        sbx_init_begin(box, other, NULL, 0);
    }
    status_r = zygote ? box->zyg->next.status : statusp[0];
    s.status = zygote ? status_r : -1;
    /* init holds its own copies now (or is dead, which the reap below reports). */
    sbx_close(&outp[1]);
    sbx_close(&errp[1]);
    sbx_close(&statusp[1]);
    sbx_close(&reportp[1]);
    sbx_close(&stdin_fd);
    for(int i = 0; i < SBX_RUN_BINDS_MAX; i++)
        sbx_close(&bind_fds[i]);
    if(rc == -E2BIG) {
        snprintf(res->message, sizeof res->message, "argv and environment exceed %d bytes", SBX_REQ_MAX);
        sbx_pidfd_send_signal(s.pidfd, SIGKILL);
    } else if(rc) {
        rc = 0; /* init died before it could take the request: its own report says why */
    } else {
        supervise(&s, outp[0], errp[0]);
    }
    siginfo_t si = {0};
    if(zygote) {
        /* The zygote reaps its children. The run is over once the init has reported (it killed and reaped
         * everything else first), or once the init is dead. */
        struct pollfd pf[2] = {{.fd = s.pidfd, .events = POLLIN},
                               {.fd = s.killed ? -1 : status_r, .events = POLLIN}};
        while(poll(pf, 2, -1) < 0 && errno == EINTR)
            ;
    } else {
        while(waitid((idtype_t)P_PIDFD, (id_t)s.pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
    }
    res->wall_us = sbx_now_us() - s.t0;
    if(read(status_r, &ist, sizeof ist) == sizeof ist) {
        have_status = true;
        if(WIFSIGNALED(ist.status))
            res->signal = WTERMSIG(ist.status);
        else
            res->exit_code = WEXITSTATUS(ist.status);
    } else if(s.killed != KILL_NONE) {
        res->signal = SIGKILL; /* we killed the run before the program ended */
    }
    int init_sock = zygote ? box->zyg->next.sock : box->lane->init.sock;
    fcntl(init_sock, F_SETFL, O_NONBLOCK);
    if(!rc && (read(reportp[0], &fail, sizeof fail) == sizeof fail ||
               read(init_sock, &fail, sizeof fail) == sizeof fail)) {
        rc = -fail.err;
        snprintf(res->message, sizeof res->message, "%s: %s", fail.step, strerror(fail.err));
    } else if(!rc && !have_status && s.killed == KILL_NONE) {
        rc = -EIO;
        snprintf(res->message, sizeof res->message, "run init ended without a report (status %d)",
                 si.si_status);
    }
out:
    if(started) {
        sbx_cg_run_end(s.cg, &usage);
        if(usage.have_cpu)
            res->cpu_us = usage.cpu_us;
        else if(have_status)
            res->cpu_us = (uint64_t)(ist.ru.ru_utime.tv_sec + ist.ru.ru_stime.tv_sec) * 1000000u +
                          (uint64_t)(ist.ru.ru_utime.tv_usec + ist.ru.ru_stime.tv_usec);
        if(usage.have_memory) {
            res->memory_kb = usage.memory_peak_kb;
            res->memory_source = s.cg->mode == SBX_CGROUP_V2 ? "cgroup-v2" : "cgroup-v1";
        } else if(have_status) {
            res->memory_kb = (uint64_t)ist.ru.ru_maxrss;
            res->memory_source = "rusage";
        }
        res->cpu_ms = res->cpu_us / 1000;
        res->wall_ms = res->wall_us / 1000;
        capture_finish(&s.out, &res->out);
        capture_finish(&s.err, &res->err);
        if(res->files)
            sbx_files_collect(boxfs, run->files_out, run->nfiles_out, res->files);
    }
    if(rc)
        res->verdict = SBX_INTERNAL;
    if(started)
        judge(res, &s, &usage, have_status);
    free(s.out.data);
    free(s.err.data);
    for(int i = 0; i < 2; i++) {
        sbx_close(&outp[i]);
        sbx_close(&errp[i]);
        sbx_close(&statusp[i]);
        sbx_close(&reportp[i]);
    }
    sbx_close(&stdin_fd);
    for(int i = 0; i < SBX_RUN_BINDS_MAX; i++)
        sbx_close(&bind_fds[i]);
    if(rc && !res->message[0])
        snprintf(res->message, sizeof res->message, "%s", strerror(-rc));
    if(zygote) {
        /* The child is spent (or in doubt); the zygote forks the next one now, so that it is ready when the
         * next run arrives, and while this run's result is handled rather than while it was measured. */
        sbx_zygote_release(box, started);
    } else if(started) {
        /* This run's init is spent; the next run goes in the other lane, whose init was started with this
         * run. This lane's next one starts with that run. */
        sbx_init_discard(box, box->lane);
        box->lane = &box->lanes[!box->lane->index];
    } else if(rc) {
        /* This lane's init is in doubt: a fresh one, started now. A failure here is retried then. */
        sbx_init_discard(box, box->lane);
        sbx_cg_run_end(&box->lane->cg, &usage);
        sbx_init_begin(box, box->lane, NULL, 0);
    }
    return rc;
}

int sbx_run(struct sbx_box *box, const struct sbx_run *run, struct sbx_result *res)
{
    return run_core(box, run, res, false);
}

int sbx_zygote_run(struct sbx_box *box, const struct sbx_run *run, struct sbx_result *res)
{
    if(!sbx_zygote_accepts(box, run)) {
        memset(res, 0, sizeof *res);
        res->verdict = SBX_INTERNAL;
        res->exit_code = -1;
        res->memory_source = "none";
        snprintf(res->message, sizeof res->message, "the box's zygote cannot take this run");
        return -ENOTSUP;
    }
    return run_core(box, run, res, true);
}
