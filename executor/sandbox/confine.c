/* confine.c - the last steps before untrusted code: rlimits, credentials, capabilities, no_new_privs and
 * the seccomp filter. Shared by sbx_run's program child, by sbx_confine_self, and by the Python zygote's
 * children (zygote_ext.c links this file into the interpreter), so every path is confined by the same code.
 * Everything here is a plain syscall: it runs in a child cloned from a possibly multi-threaded supervisor,
 * where malloc and stdio are off limits. */
#include "internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int set_rlimit(int res, uint64_t soft, uint64_t hard)
{
    struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
    return setrlimit(res, &rl) < 0 ? -errno : 0;
}

static int set_limits(const struct sbx_limits *lim)
{
    /* RLIMIT_CPU is a per-process backstop in whole seconds; the cgroup poll in run.c is the real limit. */
    uint64_t cpu_s = (lim->cpu_ms + 999) / 1000 + 1;
    int rc;
    if((rc = set_rlimit(RLIMIT_CPU, cpu_s, cpu_s + 1)) || /* SIGXCPU, then SIGKILL a second later */
       (rc = set_rlimit(RLIMIT_FSIZE, lim->file_size_bytes, lim->file_size_bytes)) ||
       (rc = set_rlimit(RLIMIT_NOFILE, lim->open_files, lim->open_files)) ||
       (rc = set_rlimit(RLIMIT_CORE, 0, 0)) ||
       (rc = set_rlimit(RLIMIT_STACK, lim->stack_kb * 1024, lim->stack_kb * 1024)) ||
       (rc = set_rlimit(RLIMIT_MEMLOCK, 0, 0)) ||
       (rc = set_rlimit(RLIMIT_MSGQUEUE, 0, 0)) ||
       (rc = set_rlimit(RLIMIT_RTPRIO, 0, 0)) ||
       (rc = set_rlimit(RLIMIT_NICE, 0, 0)) ||
       /* Per uid: right only because each box has its own uid and runs one thing at a time. */
       (rc = set_rlimit(RLIMIT_NPROC, lim->processes, lim->processes)))
        return rc;
    if(lim->address_space_kb)
        rc = set_rlimit(RLIMIT_AS, lim->address_space_kb * 1024, lim->address_space_kb * 1024);
    return rc;
}

int sbx_confine_early(const struct sbx_identity *id, const char **step)
{
    *step = "setsid";
    if(setsid() < 0 && errno != EPERM) /* EPERM: already a group leader (a zygote child may be) */
        goto fail;
    *step = "capability bounding set";
    for(int cap = 0; cap <= id->cap_last; cap++)
        if(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            goto fail;
    *step = "ambient capabilities";
    if(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        goto fail;
    /* Still root with CAP_SYS_ADMIN, so no no_new_privs is needed yet; nothing the rest does is filtered. */
    *step = "seccomp";
    if(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, id->filter) < 0)
        goto fail;
    *step = NULL;
    return 0;
fail:
    return -errno;
}

int sbx_confine_rest(const struct sbx_identity *id, const struct sbx_limits *lim, const char *cwd,
                     const char **step)
{
    int rc = 0;
    *step = "rlimits";
    rc = set_limits(lim);
    if(rc)
        goto out;
    /* Groups and gid first, uid last: once the uid is not 0 the permitted set is empty and nothing else can
     * change. Real, effective and saved ids all move, so there is no way back. Raw syscalls: glibc's
     * wrappers broadcast to "all threads" with a lock a thread of the supervisor may have held at clone. */
    *step = "setgroups";
    if(syscall(SYS_setgroups, 0, NULL) < 0)
        goto fail;
    *step = "setresgid";
    if(syscall(SYS_setresgid, id->gid, id->gid, id->gid) < 0)
        goto fail;
    *step = "setresuid";
    if(syscall(SYS_setresuid, id->uid, id->uid, id->uid) < 0)
        goto fail;
    /* After the uid change, which clears it. The parent is the run's init. */
    *step = "pdeathsig";
    if(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        goto fail;
    if(cwd) {
        *step = "chdir";
        if(chdir(cwd) < 0)
            goto fail;
    }
    *step = "no_new_privs";
    if(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        goto fail;
    *step = NULL;
    goto out;
fail:
    rc = -errno;
out:
    return rc;
}

int sbx_confine_to(const struct sbx_identity *id, const struct sbx_limits *lim, const char *cwd,
                   const char **step)
{
    int rc = sbx_confine_early(id, step);
    return rc ? rc : sbx_confine_rest(id, lim, cwd, step);
}

int sbx_confine(const struct sbx_box *box, const struct sbx_limits *lim, enum sbx_profile profile,
                enum sbx_network network, const char *cwd, const char **step)
{
    (void)profile; /* one profile today; the ctx holds its BPF, one variant per network setting */
    unsigned net = network == SBX_NETWORK_HOST ? SBX_NETWORK_HOST : SBX_NETWORK_NONE;
    struct sock_fprog prog = {.len = box->ctx->bpf_len[net], .filter = box->ctx->bpf[net]};
    struct sbx_identity id = {.uid = box->uid, .gid = box->gid, .cap_last = box->ctx->cap_last, .filter = &prog};
    return sbx_confine_to(&id, lim, cwd, step);
}
