/* init.c - the run's init (pid 1 of the run) and the program child, plus the supervisor's side of
 * starting an init ahead of time and handing it a request.
 *
 * An init is started *before* its run is known: right after the previous run of the box ends, or at
 * sbx_box_init. The box's spawner (spawner.c) clones it already inside the box's cgroups; it joins the
 * box's net/uts/mount namespaces, unshares a private mount namespace, moves in the run's fresh /box and
 * /tmp, mounts /proc, and then waits on a socket. So that work (~0.2 ms) is off the run's critical path.
 *
 * The request carries argv, envp, cwd, limits and the targets of the run's binds (serialized) and five
 * descriptors (SCM_RIGHTS): stdin, stdout and stderr pipes, the status pipe and the failure pipe, then one
 * detached read-only mount per bind. init attaches the binds (and, for a run with SBX_NETWORK_HOST, moves
 * to the box creator's network namespace), then clones the program vfork-style, reaps it, writes its status
 * and exits, which kills whatever the program left in the pid namespace.
 *
 * An init may instead be asked to become a box's zygote (zygote.c): it moves into the zygote's cgroups, keeps
 * only the capabilities the zygote needs, sets no_new_privs and the zygote's seccomp filter, and execs the
 * interpreter in place, so the zygote is pid 1 of a pid namespace of its own, inside the box.
 *
 * Both children are cloned from a possibly multi-threaded supervisor: until execve they use plain syscall
 * wrappers only (no malloc, no stdio, no glibc set*id broadcast). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The request as it travels: this header, then argc + envc + 1 + nbinds NUL-terminated strings (argv, envp,
 * cwd, bind targets). Descriptors: the NFDS below, one per bind, then ncgroups cgroup.procs and, with
 * cgroup_ns, a cgroup namespace to join (zygote only). */
struct request_hdr {
    uint32_t size; /* of the whole request */
    uint32_t argc, envc, nbinds, ncgroups;
    int32_t profile;
    int32_t network;
    int32_t zygote; /* become the box's zygote: exec argv in place (FD_STATUS is its control socket) */
    int32_t cgroup_ns; /* zygote: the last descriptor is a cgroup namespace to join after the cgroups */
    struct sbx_limits lim;
};

enum { FD_STDIN, FD_OUT, FD_ERR, FD_STATUS, FD_REPORT, NFDS };
#define NCGROUPS_MAX 3 /* v1 memory, pids, cpuacct */
_Static_assert(NFDS + SBX_RUN_BINDS_MAX <= SBX_FDS_MAX, "a request's descriptors fit one message");
_Static_assert(NFDS + NCGROUPS_MAX <= SBX_FDS_MAX, "a zygote request's descriptors fit one message");

/* What the program child needs, decoded by init into its own memory. */
struct plan {
    const struct sbx_box *box;
    struct sbx_limits lim;
    enum sbx_profile profile;
    enum sbx_network network;
    char **argv, **envp;
    const char *cwd;
    int fd[NFDS];
    uint32_t nbinds;
    int bind_fd[SBX_RUN_BINDS_MAX];
    const char *bind_target[SBX_RUN_BINDS_MAX];
    bool zygote;
    uint32_t ncgroups;
    int cgroup_fd[NCGROUPS_MAX];
    int cgroup_ns; /* -1 or a cgroup namespace (zygote) */
};

static SBX_NO_ASAN void report_failure(int fd, const char *who, const char *step, int err)
{
    struct sbx_failure f = {.err = err};
    size_t i = 0;
    for(const char *s = who; *s && i < sizeof f.step - 1; s++)
        f.step[i++] = *s;
    for(const char *s = step ? step : "?"; *s && i < sizeof f.step - 1; s++)
        f.step[i++] = *s;
    f.step[i] = '\0';
    if(write(fd, &f, sizeof f) != sizeof f)
        _exit(126);
}

static SBX_NO_ASAN _Noreturn void program_main(const struct plan *p)
{
    const char *step = "fds";
    /* Lift the descriptors above 10 first so the dup2s below cannot clobber one another. */
    int in = fcntl(p->fd[FD_STDIN], F_DUPFD_CLOEXEC, 10), out = fcntl(p->fd[FD_OUT], F_DUPFD_CLOEXEC, 10);
    int err = fcntl(p->fd[FD_ERR], F_DUPFD_CLOEXEC, 10), rep = fcntl(p->fd[FD_REPORT], F_DUPFD_CLOEXEC, 10);
    if(in < 0 || out < 0 || err < 0 || rep < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
       dup3(rep, 3, O_CLOEXEC) < 0)
        goto fail;
    close_range(4, ~0u, 0);
    int rc = sbx_confine(p->box, &p->lim, p->profile, p->network, p->cwd, &step);
    if(rc) {
        errno = -rc;
        goto fail;
    }
    execve(p->argv[0], p->argv, p->envp);
    step = "execve";
fail:
    report_failure(3, "program: ", step, errno);
    _exit(127);
}

/* clone() entry: runs on box->stack, sharing init's memory until execve (CLONE_VM | CLONE_VFORK). */
static SBX_NO_ASAN int program_entry(void *arg)
{
    program_main(arg);
}

/* Receive one request into box->req (init's private copy of it) and decode it into p. */
static int receive(int sock, const struct sbx_box *box, struct plan *p)
{
    char *buf = box->req;
    int fds[SBX_FDS_MAX], nfds;
    ssize_t n = sbx_recv_fds(sock, buf, SBX_REQ_MAX, fds, &nfds);
    if(n < 0)
        return (int)n;
    struct request_hdr h;
    size_t got = (size_t)n;
    while(got < sizeof h || got < ((struct request_hdr *)(void *)buf)->size) {
        n = read(sock, buf + got, SBX_REQ_MAX - got);
        if(n <= 0)
            return n == 0 ? -EBADMSG : -errno;
        got += (size_t)n;
    }
    memcpy(&h, buf, sizeof h);
    uint32_t nns = h.cgroup_ns ? 1 : 0;
    if(nfds < NFDS || h.nbinds > SBX_RUN_BINDS_MAX || h.ncgroups > NCGROUPS_MAX ||
       (uint32_t)nfds != NFDS + h.nbinds + h.ncgroups + nns) {
        for(int i = 0; i < nfds; i++)
            close(fds[i]);
        return -EBADMSG;
    }
    memcpy(p->fd, fds, sizeof p->fd);
    p->nbinds = h.nbinds;
    memcpy(p->bind_fd, fds + NFDS, p->nbinds * sizeof fds[0]);
    p->ncgroups = h.ncgroups;
    memcpy(p->cgroup_fd, fds + NFDS + h.nbinds, p->ncgroups * sizeof fds[0]);
    p->cgroup_ns = nns ? fds[NFDS + h.nbinds + h.ncgroups] : -1;
    p->zygote = h.zygote != 0;
    /* Pointer arrays go after the strings, aligned; the supervisor checked that they fit. */
    size_t at = (h.size + 15) & ~(size_t)15;
    p->argv = (char **)(void *)(buf + at);
    p->envp = p->argv + h.argc + 1;
    char *s = buf + sizeof h;
    for(uint32_t i = 0; i < h.argc; i++, s += strlen(s) + 1)
        p->argv[i] = s;
    p->argv[h.argc] = NULL;
    for(uint32_t i = 0; i < h.envc; i++, s += strlen(s) + 1)
        p->envp[i] = s;
    p->envp[h.envc] = NULL;
    p->cwd = s;
    for(uint32_t i = 0; i < h.nbinds; i++) {
        s += strlen(s) + 1;
        p->bind_target[i] = s;
    }
    p->lim = h.lim;
    p->profile = (enum sbx_profile)h.profile;
    p->network = h.network == SBX_NETWORK_HOST ? SBX_NETWORK_HOST : SBX_NETWORK_NONE;
    return 0;
}

/* The capabilities the zygote keeps (zygote_ext.c): its children's pid, mount and IPC namespaces and mounts
 * (SYS_ADMIN), what their confinement needs (SETUID, SETGID, SETPCAP for the bounding set, SYS_RESOURCE for
 * rlimits above the inherited hard limits), and KILL for a run's init to end what the run left behind (it
 * runs as the box uid). Everything else leaves the bounding set before execve, so root's capabilities after
 * it are these six. */
static const uint64_t zygote_caps = 1ull << 5 /* KILL */ | 1ull << 6 /* SETGID */ | 1ull << 7 /* SETUID */ |
                                    1ull << 8 /* SETPCAP */ | 1ull << 21 /* SYS_ADMIN */ |
                                    1ull << 24 /* SYS_RESOURCE */;

/* Become the box's zygote: join its cgroups, take fds 0-3 (3: the control socket), shed capabilities, set
 * no_new_privs and the zygote filter, and exec the interpreter. Failures go to the failure pipe, which
 * execve closes on success. */
static _Noreturn void become_zygote(const struct sbx_box *box, const struct plan *p)
{
    const char *step = "cgroup";
    int rep = p->fd[FD_REPORT];
    struct sock_fprog prog = {.len = box->ctx->bpf_zygote_len, .filter = box->ctx->bpf_zygote};
    for(uint32_t i = 0; i < p->ncgroups; i++) /* its own cgroups, before it allocates anything */
        if(write(p->cgroup_fd[i], "0", 1) != 1)
            goto fail;
    /* v2: the cgroup namespace of the box's creator instead of this init's (rooted at the run cgroup it was
     * born in), so that the zygote may clone each run's init into the run's cgroup where cgroup namespaces
     * are delegation boundaries (nsdelegate). The run's init takes a namespace of its own again. */
    step = "cgroup namespace";
    if(p->cgroup_ns >= 0 && setns(p->cgroup_ns, CLONE_NEWCGROUP) < 0)
        goto fail;
    step = "fds";
    int in = fcntl(p->fd[FD_STDIN], F_DUPFD_CLOEXEC, 10), out = fcntl(p->fd[FD_OUT], F_DUPFD_CLOEXEC, 10);
    int err = fcntl(p->fd[FD_ERR], F_DUPFD_CLOEXEC, 10), ctl = fcntl(p->fd[FD_STATUS], F_DUPFD_CLOEXEC, 10);
    rep = fcntl(rep, F_DUPFD_CLOEXEC, 10);
    if(in < 0 || out < 0 || err < 0 || ctl < 0 || rep < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
       dup2(err, 2) < 0 || dup2(ctl, 3) < 0 || dup3(rep, 4, O_CLOEXEC) < 0)
        goto fail;
    rep = 4;
    close_range(5, ~0u, 0);
    step = "setsid";
    if(setsid() < 0 && errno != EPERM)
        goto fail;
    step = "rlimits";
    struct rlimit none = {0, 0};
    if(setrlimit(RLIMIT_CORE, &none) < 0)
        goto fail;
    /* Out of the OOM killer's reach where we may (CAP_SYS_RESOURCE), as the spawner: an OOM kill in a run
     * should take the run. The zygote's children put themselves back to 0. */
    int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if(adj >= 0) {
        if(write(adj, "-1000", 5) < 0) { /* EACCES without CAP_SYS_RESOURCE */
        }
        close(adj);
    }
    step = "capability bounding set";
    for(int cap = 0; cap <= box->ctx->cap_last; cap++)
        if(!(zygote_caps >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            goto fail;
    step = "ambient capabilities";
    if(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        goto fail;
    step = "no_new_privs";
    if(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        goto fail;
    step = "seccomp";
    if(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        goto fail;
    step = "execve";
    if(chdir("/") == 0)
        execve(p->argv[0], p->argv, p->envp);
fail:
    report_failure(rep, "zygote: ", step, errno);
    _exit(127);
}

void sbx_init_main(const struct sbx_box *box, int sock, int boxfs, int tmpfs, bool cgroup_ns)
{
    const char *step = "pdeathsig";
    struct plan p = {.box = box};
    int rc;
    const int keep[] = {sock, boxfs, tmpfs, box->mnt_ns, box->net_ns, box->uts_ns, box->host_net};
    /* Nothing of the host lives on in the run. */
    sbx_close_all_except(keep, sizeof keep / sizeof keep[0]);
    /* Back within the OOM killer's reach (the spawner may have left itself out): a run with no killable
     * task would hang at its memory limit instead of ending in MLE. Raising needs no privilege. */
    int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if(adj >= 0) {
        if(write(adj, "0", 1) < 0) { /* already 0 */
        }
        close(adj);
    }
    if(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        goto fail;
    step = "setns net";
    if(setns(box->net_ns, CLONE_NEWNET) < 0)
        goto fail;
    step = "setns uts";
    if(setns(box->uts_ns, CLONE_NEWUTS) < 0)
        goto fail;
    step = "setns mnt";
    if(setns(box->mnt_ns, CLONE_NEWNS) < 0)
        goto fail;
    /* A private copy of the box's tree: this run's mounts vanish with it, the next run starts clean. */
    step = "unshare mnt";
    if(unshare(CLONE_NEWNS) < 0)
        goto fail;
    step = "unshare cgroup";
    if(cgroup_ns && unshare(CLONE_NEWCGROUP) < 0)
        goto fail;
    rc = sbx_attach_run_mounts(boxfs, tmpfs, &step);
    if(rc < 0) {
        errno = -rc;
        goto fail;
    }
    close(box->mnt_ns);
    close(box->net_ns);
    close(box->uts_ns);
    /* Init keeps a copy of the supervisor's memory: the box uid must not be able to read it. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    step = "request";
    rc = receive(sock, box, &p);
    if(rc == -ECONNRESET)
        _exit(0); /* the box is closing, or this init was discarded */
    if(rc) {
        errno = -rc;
        goto fail;
    }
    if(p.zygote)
        become_zygote(box, &p);
    /* A run with the network leaves the box's empty namespace for the creator's; init is still root here,
     * and the program inherits the namespace at clone. Only this one run: init exits with it. */
    step = "setns host net";
    if(p.network == SBX_NETWORK_HOST && setns(box->host_net, CLONE_NEWNET) < 0)
        goto fail;
    close(box->host_net);
    /* This run's binds, into init's private mount namespace (targets are in the box's own tree). */
    for(uint32_t i = 0; i < p.nbinds; i++) {
        if(move_mount(p.bind_fd[i], "", AT_FDCWD, p.bind_target[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
            report_failure(sock, "init: bind ", p.bind_target[i], errno);
            _exit(122);
        }
        close(p.bind_fd[i]);
    }
    /* vfork semantics: no copy of init's page tables, and init sleeps until the program has exec'd (or
     * failed), so the program gets the CPU at once. */
    step = "clone program";
    pid_t pid = clone(program_entry, (char *)box->stack + SBX_CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &p);
    if(pid < 0)
        goto fail;
    close(p.fd[FD_STDIN]);
    close(p.fd[FD_OUT]);
    close(p.fd[FD_ERR]);
    close(p.fd[FD_REPORT]);
    struct sbx_init_status st = {0};
    /* Orphans are re-parented to us and stay zombies until we exit; then the kernel kills the rest. */
    while(wait4(pid, &st.status, 0, &st.ru) < 0)
        if(errno != EINTR)
            _exit(124);
    if(write(p.fd[FD_STATUS], &st, sizeof st) != sizeof st)
        _exit(123);
    _exit(0);
fail:
    /* Before the request the socket is the only way back; the supervisor reads it after the run. */
    report_failure(sock, "init: ", step, errno);
    _exit(122);
}

int sbx_init_begin(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen)
{
    struct sbx_init *w = &lane->init;
    const struct sbx_config *cfg = &box->ctx->cfg;
    int sv[2] = {-1, -1}, tmpfs = -1, rc;
    bool cg_prepared = false;
    w->pid = -1;
    w->pidfd = w->sock = w->boxfs = -1;
    w->pending = false;
    if((rc = sbx_tmpfs_new(cfg->tmpfs_kb, cfg->tmpfs_inodes, 0755, box->uid, box->gid, &w->boxfs)) ||
       (rc = sbx_tmpfs_new(cfg->tmpfs_kb, cfg->tmpfs_inodes, 01777, box->uid, box->gid, &tmpfs))) {
        sbx_errf(err, errlen, "tmpfs: %s", strerror(-rc));
        goto out;
    }
    if(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "socketpair: %s", strerror(-rc));
        goto out;
    }
    rc = sbx_cg_run_prepare(&lane->cg);
    if(rc) {
        sbx_errf(err, errlen, "run cgroup: %s", strerror(-rc));
        goto out;
    }
    cg_prepared = true;
    rc = sbx_spawner_request(lane, sv[1], w->boxfs, tmpfs, sbx_cg_clone_fd(&lane->cg));
    if(rc == -EPIPE || rc == -ECONNRESET) {
        /* The spawner died (an OOM kill in its box, most likely): replace it and ask again. */
        rc = sbx_spawner_restart(box, lane, err, errlen);
        if(rc == 0)
            rc = sbx_spawner_request(lane, sv[1], w->boxfs, tmpfs, sbx_cg_clone_fd(&lane->cg));
    }
    if(rc) {
        sbx_errf(err, errlen, "asking the spawner: %s", strerror(-rc));
        goto out;
    }
    w->pending = true;
    w->sock = sv[0];
    sv[0] = -1;
out:
    sbx_close(&sv[0]);
    sbx_close(&sv[1]);
    sbx_close(&tmpfs);
    if(rc) {
        sbx_close(&w->boxfs);
        if(cg_prepared) {
            struct sbx_cg_usage u;
            sbx_cg_run_end(&lane->cg, &u);
        }
    }
    return rc;
}

int sbx_init_finish(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen)
{
    struct sbx_init *w = &lane->init;
    if(!w->pending)
        return w->pidfd >= 0 ? 0 : -ECHILD;
    w->pending = false;
    int rc = sbx_spawner_reply(lane, &w->pid, &w->pidfd);
    if(rc) {
        sbx_errf(err, errlen, "spawning the run's init: %s", strerror(-rc));
        struct sbx_cg_usage u;
        sbx_init_discard(box, lane);
        sbx_cg_run_end(&lane->cg, &u);
    }
    return rc;
}

void sbx_init_discard(struct sbx_box *box, struct sbx_lane *lane)
{
    struct sbx_init *w = &lane->init;
    if(w->pending) /* its pidfd is on the way: take it, so the init can be reaped */
        sbx_init_finish(box, lane, NULL, 0);
    if(w->pidfd >= 0) {
        siginfo_t si;
        sbx_pidfd_send_signal(w->pidfd, SIGKILL);
        while(waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
    }
    sbx_close(&w->pidfd);
    sbx_close(&w->sock);
    sbx_close(&w->boxfs);
    w->pid = -1;
}

/* Serialize one request (header, strings, descriptors) and send it to the waiting init. */
static int send_request(struct sbx_box *box, struct request_hdr *h, const char *const *argv,
                        const char *const *envp, const char *cwd, const char *const *targets, const int *fds,
                        size_t nfds)
{
    static const char *const empty[] = {NULL};
    envp = envp ? envp : empty;
    size_t size = sizeof *h + strlen(cwd) + 1;
    for(h->argc = 0; argv[h->argc]; h->argc++)
        size += strlen(argv[h->argc]) + 1;
    for(h->envc = 0; envp[h->envc]; h->envc++)
        size += strlen(envp[h->envc]) + 1;
    for(uint32_t i = 0; i < h->nbinds; i++)
        size += strlen(targets[i]) + 1;
    /* init lays the pointer arrays out after the strings, in the same buffer */
    if(((size + 15) & ~(size_t)15) + (h->argc + h->envc + 2) * sizeof(char *) > SBX_REQ_MAX)
        return -E2BIG;
    h->size = (uint32_t)size;
    char *buf = malloc(size), *s = buf + sizeof *h;
    if(!buf)
        return -ENOMEM;
    memcpy(buf, h, sizeof *h);
    for(uint32_t i = 0; i < h->argc; i++)
        s = stpcpy(s, argv[i]) + 1;
    for(uint32_t i = 0; i < h->envc; i++)
        s = stpcpy(s, envp[i]) + 1;
    s = stpcpy(s, cwd) + 1;
    for(uint32_t i = 0; i < h->nbinds; i++)
        s = stpcpy(s, targets[i]) + 1;

    int rc = 0;
    ssize_t n = sbx_send_fds(box->lane->init.sock, buf, size, fds, nfds);
    if(n < 0) {
        rc = (int)n;
        goto out;
    }
    /* The rest of a large request; the descriptors went with the first part. */
    for(size_t off = (size_t)n; off < size; off += (size_t)n) {
        while((n = send(box->lane->init.sock, buf + off, size - off, MSG_NOSIGNAL)) < 0 && errno == EINTR)
            ;
        if(n < 0) {
            rc = -errno;
            goto out;
        }
    }
out:
    free(buf);
    return rc;
}

int sbx_init_request(struct sbx_box *box, const struct sbx_run *run, const struct sbx_limits *lim,
                     const int fds[5], const int *bind_fds)
{
    struct request_hdr h = {.lim = *lim, .profile = (int32_t)run->profile, .network = (int32_t)run->network};
    int all_fds[NFDS + SBX_RUN_BINDS_MAX];
    const char *targets[SBX_RUN_BINDS_MAX];
    memcpy(all_fds, fds, NFDS * sizeof fds[0]);
    for(size_t i = 0; i < run->nbinds; i++) {
        if(bind_fds[i] >= 0) {
            targets[h.nbinds] = run->binds[i].target ? run->binds[i].target : run->binds[i].source;
            all_fds[NFDS + h.nbinds++] = bind_fds[i];
        }
    }
    return send_request(box, &h, run->argv, run->envp, run->cwd ? run->cwd : "/box", targets, all_fds,
                        NFDS + h.nbinds);
}

int sbx_init_request_zygote(struct sbx_box *box, const char *const *argv, const char *const *envp,
                            const int fds[5], const int *cgroup_fds, size_t ncgroups, int cgroup_ns)
{
    struct request_hdr h = {.zygote = 1, .ncgroups = (uint32_t)ncgroups, .cgroup_ns = cgroup_ns >= 0};
    int all_fds[SBX_FDS_MAX];
    if(NFDS + ncgroups + (cgroup_ns >= 0) > SBX_FDS_MAX || ncgroups > NCGROUPS_MAX)
        return -EINVAL;
    memcpy(all_fds, fds, NFDS * sizeof fds[0]);
    memcpy(all_fds + NFDS, cgroup_fds, ncgroups * sizeof cgroup_fds[0]);
    if(cgroup_ns >= 0)
        all_fds[NFDS + ncgroups] = cgroup_ns;
    sbx_limits_default(&h.lim);
    return send_request(box, &h, argv, envp, "/", NULL, all_fds, NFDS + ncgroups + (cgroup_ns >= 0));
}
