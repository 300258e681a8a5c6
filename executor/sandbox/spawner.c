/* spawner.c - a small process per box lane that creates the lane's run inits (a box has two lanes, used in
 * turn, so that one prepares the next run's init while a run goes in the other: internal.h).
 *
 * Why not clone the inits from the supervisor directly:
 *  - cgroup v1 has no CLONE_INTO_CGROUP, and a cgroup.procs write takes cgroup_threadgroup_rwsem for
 *    writing, which waits for an RCU grace period whenever attaches are not back to back: 10-15 ms here,
 *    on every run of a box that runs every few ms. The spawner joins the box's v1 cgroups once; a child
 *    created by fork is born in its parent's cgroups without any migration.
 *  - cloning copies the page tables of the caller: a supervisor with a large heap pays for it on every run,
 *    the spawner is small.
 * It clones each init with CLONE_PARENT, so the init is the supervisor's child all the same (reaped with a
 * pidfd by the supervisor; the spawner has no children), and passes the pidfd back over its socket.
 *
 * The spawner is a fork of the supervisor: it uses only syscall wrappers (no malloc, no stdio). It dies with
 * the supervisor (PDEATHSIG) and when its socket closes. v1 cleanup (kill everything in cgroup.procs) spares
 * it by pid. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Request: fds init socket, /box tmpfs, /tmp tmpfs, and the v2 run cgroup when present. */
enum { RQ_SOCK, RQ_BOXFS, RQ_TMPFS, RQ_CGROUP, RQ_MAX };

struct spawn_reply {
    int pid; /* in the supervisor's pid namespace; the pidfd comes with it */
    int err; /* errno of a failed clone */
};

static _Noreturn void spawner_main(const struct sbx_box *box, const struct sbx_lane *lane, int sock)
{
    const int keep[] = {sock, box->mnt_ns, box->net_ns, box->uts_ns, box->host_net,
                        lane->cg.mem_procs, lane->cg.pids_procs, lane->cg.cpu_procs};
    bool cgroup_ns = (box->ctx->caps.have & SBX_CAP_NS_CGROUP) != 0;
    sbx_close_all_except(keep, sizeof keep / sizeof keep[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Out of the OOM killer's reach where we may (CAP_SYS_RESOURCE): its RSS counts the pages it shares
     * with the supervisor, so in a small box it could look like the largest task. Inits put themselves
     * back to 0. Without the capability, a killed spawner is replaced by the next run (init.c). */
    int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if(adj >= 0) {
        if(write(adj, "-1000", 5) < 0) { /* EACCES without CAP_SYS_RESOURCE: see above */
        }
        close(adj);
    }
    if(sbx_cg_attach_self(&lane->cg) < 0)
        _exit(2);
    sbx_close_all_except(keep, 5); /* done with the cgroup.procs fds */
    for(;;) {
        int fds[SBX_FDS_MAX] = {-1, -1, -1, -1}, pidfd = -1, n = 0;
        char go;
        int got = sbx_recv_fds(sock, &go, 1, fds, &n);
        if(got == -ECONNRESET)
            _exit(0);
        struct spawn_reply r = {.pid = -1, .err = EBADMSG};
        if(got == 1 && (n == RQ_CGROUP || n == RQ_MAX)) {
            struct clone_args ca = {
                .flags = CLONE_PARENT | CLONE_NEWPID | CLONE_NEWIPC | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
            };
            if(n == RQ_MAX) {
                ca.flags |= CLONE_INTO_CGROUP;
                ca.cgroup = (uint64_t)fds[RQ_CGROUP];
            }
            r.pid = (int)sbx_clone3(&ca, sizeof ca);
            if(r.pid == 0)
                sbx_init_main(box, fds[RQ_SOCK], fds[RQ_BOXFS], fds[RQ_TMPFS], cgroup_ns);
            r.err = r.pid < 0 ? errno : 0;
        }
        for(int i = 0; i < n; i++)
            close(fds[i]);
        if(sbx_send_fds(sock, &r, sizeof r, &pidfd, pidfd >= 0) != sizeof r)
            _exit(3);
        if(pidfd >= 0)
            close(pidfd);
    }
}

int sbx_spawner_start(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen)
{
    int sv[2];
    if(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        int rc = -errno;
        sbx_errf(err, errlen, "socketpair: %s", strerror(-rc));
        return rc;
    }
    struct clone_args ca = {.flags = CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&lane->spawner_pidfd,
                            .exit_signal = SIGCHLD};
    pid_t pid = (pid_t)sbx_clone3(&ca, sizeof ca);
    if(pid == 0)
        spawner_main(box, lane, sv[1]);
    close(sv[1]);
    if(pid < 0) {
        int rc = -errno;
        close(sv[0]);
        sbx_errf(err, errlen, "clone3 (spawner): %s", strerror(-rc));
        return rc;
    }
    lane->spawner_sock = sv[0];
    lane->cg.keep_pid = pid;
    return 0;
}

int sbx_spawner_restart(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen)
{
    sbx_spawner_stop(lane);
    return sbx_spawner_start(box, lane, err, errlen);
}

void sbx_spawner_stop(struct sbx_lane *lane)
{
    sbx_close(&lane->spawner_sock); /* EOF: it exits */
    if(lane->spawner_pidfd >= 0) {
        siginfo_t si;
        while(waitid((idtype_t)P_PIDFD, (id_t)lane->spawner_pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
    }
    sbx_close(&lane->spawner_pidfd);
}

int sbx_spawner_request(struct sbx_lane *lane, int init_sock, int boxfs, int tmpfs, int cgroup_dir)
{
    const int fds[RQ_MAX] = {init_sock, boxfs, tmpfs, cgroup_dir};
    int n = sbx_send_fds(lane->spawner_sock, "s", 1, fds, cgroup_dir >= 0 ? RQ_MAX : RQ_CGROUP);
    return n < 0 ? n : 0;
}

int sbx_spawner_reply(struct sbx_lane *lane, pid_t *pid, int *pidfd)
{
    struct spawn_reply r;
    int got[SBX_FDS_MAX], n;
    int len = sbx_recv_fds(lane->spawner_sock, &r, sizeof r, got, &n);
    if(len < 0)
        return len;
    if(len != sizeof r || r.err || n != 1) {
        for(int i = 0; i < n; i++)
            close(got[i]);
        return len == sizeof r && r.err ? -r.err : -EBADMSG;
    }
    *pid = r.pid;
    *pidfd = got[0];
    return 0;
}
