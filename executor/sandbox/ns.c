/* ns.c - the long-lived namespaces of a box: mount (the read-only tree, pivoted), network (empty: no
 * interfaces up, not even lo) and uts (own hostname).
 *
 * A helper is cloned into fresh namespaces, attaches the detached tree built by mounts.c, pivots into it and
 * reports ready; the supervisor opens /proc/<helper>/ns/{mnt,net,uts} and lets the helper exit. The fds keep
 * the namespaces alive, and every run joins them with setns(), so the costly parts (a netns is ~0.5 ms and
 * has a heavy tail; the mount tree another ~1 ms) are paid once per box, not per run. A run then unshares a
 * private copy of the mount namespace for its own /box, /tmp and /proc. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct helper_report {
    int step;
    int err;
};

static const char *const step_names[] = {"make / private", "sethostname", "attach root", "fchdir root",
                                         "attach bind", "pivot_root", "detach old root", "chdir /"};

/* Runs in the cloned helper: raw syscalls only (the parent may be multi-threaded). */
static _Noreturn void helper_main(const struct sbx_tree *t, const char *hostname, int report, int hold,
                                  int hold_w)
{
    struct helper_report r = {0, 0};
    char c;
    close(hold_w); /* or the read below never sees EOF */
    if(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        goto fail;
    r.step++;
    if(sethostname(hostname, strlen(hostname)) < 0)
        goto fail;
    r.step++;
    if(move_mount(t->root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        goto fail;
    r.step++;
    if(fchdir(t->root) < 0)
        goto fail;
    r.step++;
    for(size_t i = 0; i < t->nmounts; i++)
        if(move_mount(t->mounts[i].fd, "", AT_FDCWD, t->mounts[i].target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            goto fail;
    r.step++;
    if(syscall(SYS_pivot_root, ".", ".") < 0)
        goto fail;
    r.step++;
    if(umount2(".", MNT_DETACH) < 0)
        goto fail;
    r.step++;
    if(chdir("/") < 0)
        goto fail;
    r.step = -1;
    if(write(report, &r, sizeof r) != sizeof r)
        _exit(1);
    /* Stay until the supervisor has opened our namespaces. */
    while(read(hold, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
fail:
    r.err = errno;
    if(write(report, &r, sizeof r) != sizeof r)
        _exit(1);
    _exit(1);
}

static int open_ns(pid_t pid, const char *kind)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, kind);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int sbx_ns_create(const struct sbx_tree *t, const char *hostname, int *mnt, int *net, int *uts, char *err,
                  size_t errlen)
{
    int report[2] = {-1, -1}, hold[2] = {-1, -1};
    int rc = 0;
    pid_t pid = -1;
    *mnt = *net = *uts = -1;
    if(pipe2(report, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "pipe: %s", strerror(-rc));
        goto out;
    }
    struct clone_args ca = {
        .flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS,
        .exit_signal = SIGCHLD,
    };
    pid = (pid_t)sbx_clone3(&ca, sizeof ca);
    if(pid < 0) {
        rc = -errno;
        sbx_errf(err, errlen, "clone3(NEWNS|NEWNET|NEWUTS): %s", strerror(-rc));
        goto out;
    }
    if(pid == 0)
        helper_main(t, hostname, report[1], hold[0], hold[1]);
    sbx_close(&report[1]);
    sbx_close(&hold[0]);

    struct helper_report r;
    ssize_t n;
    while((n = read(report[0], &r, sizeof r)) < 0 && errno == EINTR)
        ;
    if(n != sizeof r) {
        rc = -EIO;
        sbx_errf(err, errlen, "namespace helper died");
        goto out;
    }
    if(r.step >= 0) {
        rc = -r.err;
        sbx_errf(err, errlen, "namespace helper: %s: %s", step_names[r.step], strerror(r.err));
        goto out;
    }
    if((*mnt = open_ns(pid, "mnt")) < 0 || (*net = open_ns(pid, "net")) < 0 ||
       (*uts = open_ns(pid, "uts")) < 0) {
        rc = *mnt < 0 ? *mnt : *net < 0 ? *net : *uts;
        sbx_errf(err, errlen, "open /proc/%d/ns: %s", (int)pid, strerror(-rc));
        goto out;
    }
out:
    sbx_close(&hold[1]); /* releases the helper */
    if(pid > 0)
        while(waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    sbx_close(&report[0]);
    sbx_close(&report[1]);
    sbx_close(&hold[0]);
    if(rc) {
        sbx_close(mnt);
        sbx_close(net);
        sbx_close(uts);
    }
    return rc;
}
