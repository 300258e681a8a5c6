/* zygote.c - a box's Python zygote, supervisor side: start it, keep a child forked ahead, replace it.
 *
 * Processes (README.md has the why):
 *
 *   supervisor
 *     `- zygote    the box's waiting init, turned into `python3 <flags> -c <zygote.py>` (init.c): pid 1 of its
 *        |         own pid namespace, in the box's mount/net/uts namespaces and in cgroups of its own
 *        |         (box<id>-zygote: v1 the zygote and its runs; v2 the zygote in the leaf z, each run in a cgroup
 *        |         of its own); root with 6 capabilities, no_new_privs, the zygote's seccomp filter. Its
 *        |         fork server is native (zygote_ext.c); it never runs a job's code.
 *        `- init   forked ahead, one per run: pid 1 of fresh pid/mount/IPC namespaces with the run's /box, /tmp
 *           |      and /proc; C code only; reaps the program and writes its status into the run's pipe.
 *           `- child  waits for the request, then confines itself (confine.c) and runs the script.
 *
 * The supervisor talks to the zygote over a SOCK_SEQPACKET pair: one hello (the native half as a memfd, ids,
 * the runs' seccomp filter, the scripts to preload), then one fork request per run, answered with the init's
 * pidfd and a socket to the child. The run itself is run.c's. The next child is asked for when a run ends, so
 * it is forked while the executor handles the result rather than while the run is measured (v1 counts the
 * zygote's cgroup as a whole). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Generated at build time: the native half (an empty array when built without Python headers), the Python
 * version it was built for, and zygote.py. */
extern const unsigned char sbx_zygote_ext[];
extern const size_t sbx_zygote_ext_len;
extern const unsigned sbx_zygote_python;
extern const char sbx_zygote_py[];

#define START_TIMEOUT_MS 30000 /* the interpreter's start and the preloads, on a loaded host */
#define REPLY_TIMEOUT_MS 10000 /* one fork */

static char **copy_strv(const char *const *v, size_t *n)
{
    size_t k = 0;
    while(v && v[k])
        k++;
    char **out = calloc(k + 1, sizeof *out);
    for(size_t i = 0; out && i < k; i++) {
        if(!(out[i] = strdup(v[i]))) {
            for(size_t j = 0; j < i; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    }
    if(n)
        *n = k;
    return out;
}

static void free_strv(char **v)
{
    for(size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The hello: ids, the filter of the runs (the zygote's children install it on top of the zygote's), scripts. */
static int build_hello(struct sbx_box *box, const struct sbx_zygote_config *cfg, char **out, size_t *len)
{
    const struct sbx_ctx *ctx = box->ctx;
    struct sbx_zygote_hello h = {.magic = SBX_ZYGOTE_MAGIC, .uid = box->uid, .gid = box->gid,
                                 .cap_last = ctx->cap_last, .filter_len = ctx->bpf_len[SBX_NETWORK_NONE],
                                 .npreload = (uint32_t)cfg->npreload, .python = sbx_zygote_python,
                                 .flags = (ctx->caps.have & SBX_CAP_NS_CGROUP) ? SBX_ZYGOTE_CGROUP_NS : 0};
    size_t size = sizeof h + h.filter_len * sizeof(struct sock_filter);
    for(size_t i = 0; i < cfg->npreload; i++) {
        if(!cfg->preload[i].name || cfg->preload[i].name[0] != '/' || !cfg->preload[i].data)
            return -EINVAL;
        size += 8 + strlen(cfg->preload[i].name) + cfg->preload[i].len;
    }
    if(size > SBX_ZYGOTE_HELLO_MAX)
        return -E2BIG;
    h.size = (uint32_t)size;
    char *buf = malloc(size), *p = buf;
    if(!buf)
        return -ENOMEM;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, ctx->bpf[SBX_NETWORK_NONE], h.filter_len * sizeof(struct sock_filter));
    p += h.filter_len * sizeof(struct sock_filter);
    for(size_t i = 0; i < cfg->npreload; i++) {
        uint32_t lens[2] = {(uint32_t)strlen(cfg->preload[i].name), (uint32_t)cfg->preload[i].len};
        memcpy(p, lens, sizeof lens);
        p += sizeof lens;
        memcpy(p, cfg->preload[i].name, lens[0]);
        p += lens[0];
        memcpy(p, cfg->preload[i].data, lens[1]);
        p += lens[1];
    }
    *out = buf;
    *len = size;
    return 0;
}

/* The native half as a sealed memfd: the zygote loads it from /proc/self/fd. */
static int ext_memfd(void)
{
    int fd = memfd_create("jobgate-zygote", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if(fd < 0)
        return -errno;
    for(size_t off = 0; off < sbx_zygote_ext_len;) {
        ssize_t n = write(fd, sbx_zygote_ext + off, sbx_zygote_ext_len - off);
        if(n < 0 && errno == EINTR)
            continue;
        if(n <= 0) {
            int rc = n < 0 ? -errno : -EIO;
            close(fd);
            return rc;
        }
        off += (size_t)n;
    }
    if(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* Wait until fd is readable, or the zygote is gone, or ms pass. 0, -ECONNRESET or -ETIMEDOUT. */
static int wait_readable(const struct sbx_zygote *z, int fd, int ms)
{
    struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = z->pidfd, .events = POLLIN}};
    for(;;) {
        int n = poll(pf, 2, ms);
        if(n < 0 && errno == EINTR)
            continue;
        if(n < 0)
            return -errno;
        if(n == 0)
            return -ETIMEDOUT;
        if(pf[0].revents)
            return 0; /* data, or the end of the stream: the read says which */
        return -ECONNRESET;
    }
}

static void zchild_discard(struct sbx_zygote *z)
{
    struct sbx_zchild *c = &z->next;
    if(c->pending && wait_readable(z, z->ctl, REPLY_TIMEOUT_MS) == 0) {
        /* its descriptors are on the way: take them, so that closing them lets the child go */
        char r[sizeof(struct sbx_failure) + 1];
        int fds[SBX_FDS_MAX], n;
        if(sbx_recv_fds(z->ctl, r, sizeof r, fds, &n) >= 0)
            for(int i = 0; i < n; i++)
                close(fds[i]);
    }
    c->pending = false;
    /* Closing the socket ends the waiting child (and so the init); a used init is dead already. */
    sbx_close(&c->sock);
    sbx_close(&c->pidfd);
    sbx_close(&c->boxfs);
    sbx_close(&c->status);
    if(z->cg.mode == SBX_CGROUP_V2 && z->cg.run_dir >= 0) { /* v2: its run cgroup, when no run used it */
        struct sbx_cg_usage u;
        sbx_cg_run_end(&z->cg, &u);
    }
}

/* Ask the zygote for the next run's child: its /box and /tmp (fresh tmpfs), and the status pipe. */
static int zchild_begin(struct sbx_box *box)
{
    struct sbx_zygote *z = box->zyg;
    const struct sbx_config *cfg = &box->ctx->cfg;
    int tmpfs = -1, st[2] = {-1, -1}, rc;
    struct sbx_zchild *c = &z->next;
    if((rc = sbx_tmpfs_new(cfg->tmpfs_kb, cfg->tmpfs_inodes, 0755, box->uid, box->gid, &c->boxfs)) ||
       (rc = sbx_tmpfs_new(cfg->tmpfs_kb, cfg->tmpfs_inodes, 01777, box->uid, box->gid, &tmpfs)))
        goto out;
    if(pipe2(st, O_CLOEXEC) < 0) {
        rc = -errno;
        goto out;
    }
    /* v2: the run's own cgroup, which the zygote clones the init into; the run ends it (run.c). */
    if(z->cg.mode == SBX_CGROUP_V2 && (rc = sbx_cg_run_prepare(&z->cg)))
        goto out;
    const int fds[4] = {c->boxfs, tmpfs, st[1], sbx_cg_clone_fd(&z->cg)};
    rc = sbx_send_fds(z->ctl, "F", 1, fds, fds[3] >= 0 ? 4 : 3);
    if(rc >= 0) {
        rc = 0;
        c->pending = true;
        c->status = st[0];
        st[0] = -1;
    }
out:
    sbx_close(&tmpfs);
    sbx_close(&st[0]);
    sbx_close(&st[1]);
    if(rc) {
        sbx_close(&c->boxfs);
        if(z->cg.mode == SBX_CGROUP_V2 && z->cg.run_dir >= 0) {
            struct sbx_cg_usage u;
            sbx_cg_run_end(&z->cg, &u);
        }
    }
    return rc;
}

/* Collect the reply to zchild_begin: the init's pidfd and the socket to its child. */
static int zchild_finish(struct sbx_box *box, char *err, size_t errlen)
{
    struct sbx_zygote *z = box->zyg;
    struct sbx_zchild *c = &z->next;
    char r[1 + sizeof(struct sbx_failure)];
    int fds[SBX_FDS_MAX], n;
    int rc = wait_readable(z, z->ctl, REPLY_TIMEOUT_MS);
    c->pending = false;
    if(rc == 0)
        rc = sbx_recv_fds(z->ctl, r, sizeof r, fds, &n);
    if(rc < 0) {
        sbx_errf(err, errlen, "zygote: no reply to a fork request (%s)", strerror(-rc));
        return rc;
    }
    if(rc == 1 && r[0] == 'K' && n == 2) {
        c->pidfd = fds[0];
        c->sock = fds[1];
        /* Its child says when it waits; or the init, why its setup failed. */
        struct sbx_failure f = {.err = EIO, .step = "no word from the child"};
        char ready[sizeof f];
        if((rc = wait_readable(z, c->sock, REPLY_TIMEOUT_MS)) == 0 &&
           (rc = (int)read(c->sock, ready, sizeof ready)) == 1 && ready[0] == 'r')
            return 0;
        if(rc == (int)sizeof f)
            memcpy(&f, ready, sizeof f);
        f.step[sizeof f.step - 1] = '\0';
        sbx_errf(err, errlen, "zygote: %s: %s", f.step, strerror(f.err));
        return -(f.err ? f.err : EIO);
    }
    for(int i = 0; i < n; i++)
        close(fds[i]);
    struct sbx_failure f = {.err = EBADMSG, .step = "bad reply"};
    if(rc == 1 + (int)sizeof f && r[0] == 'E')
        memcpy(&f, r + 1, sizeof f);
    f.step[sizeof f.step - 1] = '\0';
    sbx_errf(err, errlen, "zygote: fork: %s: %s", f.step, strerror(f.err));
    return -(f.err ? f.err : EIO);
}

/* Kill and reap the zygote (its pid namespace takes every child with it); keep the configuration. */
static void zygote_kill(struct sbx_box *box)
{
    struct sbx_zygote *z = box->zyg;
    zchild_discard(z);
    sbx_close(&z->ctl); /* end of stream: it exits */
    if(z->pidfd >= 0) {
        siginfo_t si;
        sbx_pidfd_send_signal(z->pidfd, SIGKILL);
        while(waitid((idtype_t)P_PIDFD, (id_t)z->pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
    }
    sbx_close(&z->pidfd);
    z->pid = -1;
    z->cg.keep_pid = 0;
    z->runs = 0;
}

/* Why a zygote that did not come up failed: its failure report (a step before execve), else the end of what
 * it wrote on stderr (a Python traceback). */
static void start_failure(int report, int errfd, int rc, char *err, size_t errlen)
{
    struct sbx_failure f;
    char text[4096];
    fcntl(report, F_SETFL, O_NONBLOCK);
    if(read(report, &f, sizeof f) == sizeof f) {
        f.step[sizeof f.step - 1] = '\0';
        sbx_errf(err, errlen, "%s: %s", f.step, strerror(f.err));
        return;
    }
    fcntl(errfd, F_SETFL, O_NONBLOCK);
    ssize_t n = read(errfd, text, sizeof text - 1);
    if(n > 0) {
        while(n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
            n--;
        text[n] = '\0';
        const char *last = strrchr(text, '\n');
        sbx_errf(err, errlen, "zygote: %s", last ? last + 1 : text);
        return;
    }
    sbx_errf(err, errlen, "zygote: it did not start (%s)", strerror(-rc));
}

/* Turn the box's waiting init into the zygote, send it the hello and wait until it is ready. */
static int launch(struct sbx_box *box, char *err, size_t errlen)
{
    struct sbx_zygote *z = box->zyg;
    int ctl[2] = {-1, -1}, errp[2] = {-1, -1}, report[2] = {-1, -1}, ext = -1, null = -1, cgns = -1, rc;
    bool taken = false;
    const char *argv[16];
    /* v1: its own cgroup in each hierarchy; v2: its leaf beside its runs' cgroups. */
    const int cgfds[3] = {z->cg.mode == SBX_CGROUP_V2 ? z->cg.leaf_procs : z->cg.mem_procs, z->cg.pids_procs,
                          z->cg.cpu_procs};
    int cg[3];
    size_t ncg = 0;
    char ready;

    if(z->nargv + 3 > sizeof argv / sizeof argv[0])
        return -E2BIG;
    for(size_t i = 0; i < z->nargv; i++)
        argv[i] = z->argv[i];
    argv[z->nargv] = "-c";
    argv[z->nargv + 1] = sbx_zygote_py;
    argv[z->nargv + 2] = NULL;
    for(int i = 0; i < 3; i++)
        if(cgfds[i] >= 0)
            cg[ncg++] = cgfds[i];
    if(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
       pipe2(report, O_CLOEXEC) < 0 || (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "zygote: %s", strerror(-rc));
        goto out;
    }
    if((ext = ext_memfd()) < 0) {
        rc = ext;
        sbx_errf(err, errlen, "zygote: memfd: %s", strerror(-rc));
        goto out;
    }
    struct sbx_lane *lane = box->lane;
    if((lane->init.pidfd < 0 && !lane->init.pending && (rc = sbx_init_begin(box, lane, err, errlen))) ||
       (rc = sbx_init_finish(box, lane, err, errlen)))
        goto out;
    const int fds[5] = {box->devnull, null, errp[1], ctl[1], report[1]}; /* what preloads print is dropped */
    if(z->cg.mode == SBX_CGROUP_V2 && (box->ctx->caps.have & SBX_CAP_NS_CGROUP))
        cgns = open("/proc/self/ns/cgroup", O_RDONLY | O_CLOEXEC);
    rc = sbx_init_request_zygote(box, argv, (const char *const *)z->envp, fds, cg, ncg, cgns);
    taken = true;
    /* The init is the zygote's now (or dead): ours to reap. The box gets another for its next run. */
    z->pid = lane->init.pid;
    z->pidfd = lane->init.pidfd;
    z->cg.keep_pid = z->pid;
    lane->init.pidfd = -1;
    lane->init.pid = -1;
    sbx_close(&lane->init.sock);
    sbx_close(&lane->init.boxfs);
    sbx_close(&errp[1]);
    sbx_close(&ctl[1]);
    sbx_close(&report[1]);
    z->ctl = ctl[0];
    ctl[0] = -1;
    if(rc) {
        sbx_errf(err, errlen, "zygote: request to the box's init: %s", strerror(-rc));
        goto out;
    }
    rc = sbx_send_fds(z->ctl, z->hello, z->hello_len, &ext, 1);
    if(rc >= 0)
        rc = wait_readable(z, z->ctl, START_TIMEOUT_MS);
    if(rc >= 0)
        rc = (int)read(z->ctl, &ready, 1) == 1 && ready == 'R' ? 0 : -ECONNRESET;
    if(rc < 0) {
        zygote_kill(box); /* so that everything it wrote is there to read */
        start_failure(report[0], errp[0], rc, err, errlen);
        goto out;
    }
    rc = zchild_begin(box);
    if(rc)
        sbx_errf(err, errlen, "zygote: first fork request: %s", strerror(-rc));
out:
    sbx_close(&ctl[0]);
    sbx_close(&ctl[1]);
    for(int i = 0; i < 2; i++) {
        sbx_close(&errp[i]);
        sbx_close(&report[i]);
    }
    sbx_close(&ext);
    sbx_close(&null);
    sbx_close(&cgns);
    if(rc)
        zygote_kill(box);
    if(taken) {
        /* The box gets another init for its next run. On v2 the init that became the zygote was born in
         * the box's run cgroup, which it has left (or it is dead): that cgroup goes first. */
        if(box->lane->cg.mode == SBX_CGROUP_V2) {
            struct sbx_cg_usage u;
            sbx_cg_run_end(&box->lane->cg, &u);
        }
        sbx_init_begin(box, box->lane, NULL, 0);
    }
    return rc;
}

int sbx_zygote_start(struct sbx_box *box, const struct sbx_zygote_config *cfg, char *err, size_t errlen)
{
    int rc;
    if(err && errlen)
        err[0] = '\0';
    if(box->zyg)
        return -EALREADY;
    if(!sbx_zygote_ext_len) {
        sbx_errf(err, errlen, "zygote: this build has no native half (built without Python headers)");
        return -ENOTSUP;
    }
    if(!cfg->argv || !cfg->argv[0] || cfg->argv[0][0] != '/')
        return -EINVAL;
    struct sbx_zygote *z = calloc(1, sizeof *z);
    if(!z)
        return -ENOMEM;
    z->pid = -1;
    z->pidfd = z->ctl = -1;
    z->next = (struct sbx_zchild){.pidfd = -1, .sock = -1, .boxfs = -1, .status = -1};
    z->max_runs = cfg->max_runs ? cfg->max_runs : 10000;
    sbx_cg_init_empty(&z->cg);
    box->zyg = z;
    static const char *const empty[] = {NULL};
    z->argv = copy_strv(cfg->argv, &z->nargv);
    z->envp = copy_strv(cfg->envp ? cfg->envp : empty, NULL);
    if(!z->argv || !z->envp) {
        rc = -ENOMEM;
        goto out;
    }
    if((rc = build_hello(box, cfg, &z->hello, &z->hello_len))) {
        sbx_errf(err, errlen, "zygote: preloads: %s", strerror(-rc));
        goto out;
    }
    rc = sbx_cg_box_init(&z->cg, &box->ctx->caps, box->ctx->cg_mode, box->ctx->cfg.cgroup_name, box->id, "-zygote", true,
                         err, errlen);
    if(rc)
        goto out;
    if(z->cg.mode == SBX_CGROUP_V1) {
        /* Loose limits while it starts; each run sets its own. */
        struct sbx_limits lim = {0};
        sbx_limits_default(&lim);
        lim.memory_kb *= 4;
        if((rc = sbx_cg_run_begin(&z->cg, &lim))) {
            sbx_errf(err, errlen, "zygote cgroup: %s", strerror(-rc));
            goto out;
        }
    }
    rc = launch(box, err, errlen);
out:
    if(rc)
        sbx_zygote_stop(box);
    return rc;
}

void sbx_zygote_stop(struct sbx_box *box)
{
    struct sbx_zygote *z = box->zyg;
    if(!z)
        return;
    zygote_kill(box);
    sbx_cg_box_close(&z->cg);
    free_strv(z->argv);
    free_strv(z->envp);
    free(z->hello);
    free(z);
    box->zyg = NULL;
}

pid_t sbx_zygote_pid(const struct sbx_box *box)
{
    return box->zyg && box->zyg->pidfd >= 0 ? box->zyg->pid : -1;
}

/* The request as it travels (struct sbx_zygote_job); its size, or 0 when it does not fit. */
static size_t job_size(const struct sbx_run *run, size_t nargv)
{
    size_t size = sizeof(struct sbx_zygote_job) + strlen(run->cwd ? run->cwd : "/box") + 1;
    for(size_t i = nargv; run->argv[i]; i++)
        size += strlen(run->argv[i]) + 1;
    return size <= SBX_ZYGOTE_JOB_MAX ? size : 0;
}

bool sbx_zygote_accepts(const struct sbx_box *box, const struct sbx_run *run)
{
    const struct sbx_zygote *z = box->zyg;
    static const char *const empty[] = {NULL};
    if(!z || !run->argv || run->network != SBX_NETWORK_NONE || run->nbinds || run->profile != SBX_PROFILE_DEFAULT)
        return false;
    for(size_t i = 0; i < z->nargv; i++)
        if(!run->argv[i] || strcmp(run->argv[i], z->argv[i]) != 0)
            return false;
    if(!run->argv[z->nargv] || run->argv[z->nargv][0] == '-' || !job_size(run, z->nargv))
        return false;
    const char *const *envp = run->envp ? run->envp : empty;
    size_t i = 0;
    for(; envp[i] && z->envp[i]; i++)
        if(strcmp(envp[i], z->envp[i]) != 0)
            return false;
    return !envp[i] && !z->envp[i];
}

int sbx_zygote_acquire(struct sbx_box *box, char *err, size_t errlen)
{
    struct sbx_zygote *z = box->zyg;
    int rc = 0;
    for(int attempt = 0; attempt < 2; attempt++) {
        if(attempt || z->pidfd < 0) {
            /* dead, replaced or failing: start it again (the config is kept) */
            zygote_kill(box);
            if((rc = launch(box, err, errlen)))
                continue;
        }
        if(!z->next.pending && z->next.pidfd < 0 && (rc = zchild_begin(box))) {
            sbx_errf(err, errlen, "zygote: fork request: %s", strerror(-rc));
            continue;
        }
        if(z->next.pending && (rc = zchild_finish(box, err, errlen)))
            continue;
        return 0;
    }
    return rc;
}

int sbx_zygote_request(struct sbx_box *box, const struct sbx_run *run, const struct sbx_limits *lim,
                       const int fds[5])
{
    struct sbx_zygote *z = box->zyg;
    size_t size = job_size(run, z->nargv);
    struct sbx_zygote_job h = {.size = (uint32_t)size, .lim = *lim};
    if(!size)
        return -E2BIG;
    char *buf = malloc(size), *p = buf + sizeof h;
    if(!buf)
        return -ENOMEM;
    p = stpcpy(p, run->cwd ? run->cwd : "/box") + 1;
    for(size_t i = z->nargv; run->argv[i]; i++, h.argc++)
        p = stpcpy(p, run->argv[i]) + 1;
    memcpy(buf, &h, sizeof h);
    const int four[4] = {fds[0], fds[1], fds[2], fds[4]}; /* stdin, stdout, stderr, failure */
    int rc = sbx_send_fds(z->next.sock, buf, size, four, 4);
    free(buf);
    return rc < 0 ? rc : 0;
}

void sbx_zygote_release(struct sbx_box *box, bool used)
{
    struct sbx_zygote *z = box->zyg;
    zchild_discard(z);
    if(used)
        z->runs++;
    if(z->pidfd < 0)
        return; /* the next acquire starts it */
    if(z->runs >= z->max_runs)
        zygote_kill(box); /* the next acquire starts a fresh one */
    else if(zchild_begin(box))
        zygote_kill(box); /* it is gone: the next acquire starts another */
}
