/* internal.h - state and helpers shared by the files of the sandbox module; not part of the API. */
#ifndef JOBGATE_SANDBOX_INTERNAL_H
#define JOBGATE_SANDBOX_INTERNAL_H

#include "sandbox.h"

#include <linux/filter.h>
#include <signal.h>
#include <sys/resource.h>

/* ---- cgroup.c: one backend interface, v1 and v2 implementations behind it ---- */

struct sbx_cg {
    enum sbx_cgroup_mode mode;
    /* v1: the box's directory in each hierarchy (-1 when that controller is absent) and its cgroup.procs */
    int mem_dir, pids_dir, cpu_dir;
    int mem_procs, pids_procs, cpu_procs;
    int cpu_usage;            /* v1 cpuacct.usage, kept open: polled during the run */
    int mem_usage;            /* v1 memory.usage_in_bytes */
    uint64_t mem_base;        /* v1 usage at run start, left by earlier runs; the peak is reported above it */
    pid_t keep_pid;           /* v1: the box's spawner (or zygote) lives in these cgroups; cleanup spares it */
    bool zygote;              /* box<id>-zygote: v1 the zygote and its children (limits above its usage), v2
                               * the zygote in its leaf "z" and a cgroup per run, which its init is cloned into */
    uint64_t mem_limit_set;   /* last values written, to skip rewriting unchanged limits */
    uint64_t pids_limit_set;
    uint64_t oom_before;      /* v1 oom_kill counter at run start (it cannot be reset) */
    bool have_memsw;
    /* v2: the box's directory; each run gets a fresh child cgroup "r<seq>" so every counter starts at 0 */
    int box_dir;
    int run_dir;              /* O_DIRECTORY fd of the run cgroup, for CLONE_INTO_CGROUP */
    int run_cpu_stat;
    char run_name[32];
    char stale_name[32];      /* a run cgroup that could not be removed yet */
    int leaf_procs;           /* v2 zygote: cgroup.procs of the leaf "z" the zygote moves into; runs beside it */
    uint64_t seq;
    bool v2_memory, v2_pids;
};

struct sbx_cg_usage {
    bool have_cpu, have_memory;
    uint64_t cpu_us;
    uint64_t memory_peak_kb;
    uint64_t oom_kills;
};

void sbx_cg_init_empty(struct sbx_cg *cg); /* mode NONE, every fd -1: safe to close */
/* The cgroups box<id><suffix>: "" and "-b" for the box's two lanes, "-zygote" (zygote true) for its zygote. */
int sbx_cg_box_init(struct sbx_cg *cg, const struct sbx_caps *caps, enum sbx_cgroup_mode mode,
                    const char *name, unsigned id, const char *suffix, bool zygote, char *err, size_t errlen);
void sbx_cg_box_close(struct sbx_cg *cg);
int sbx_cg_run_prepare(struct sbx_cg *cg); /* before the run's init is cloned (v2: its fresh cgroup) */
int sbx_cg_run_begin(struct sbx_cg *cg, const struct sbx_limits *lim); /* limits, counters reset */
int sbx_cg_clone_fd(const struct sbx_cg *cg); /* v2 run cgroup fd for CLONE_INTO_CGROUP, else -1 */
int sbx_cg_attach_self(const struct sbx_cg *cg); /* in the run's init; async-signal-safe */
int sbx_cg_cpu_us(struct sbx_cg *cg, uint64_t *us);
int sbx_cg_run_end(struct sbx_cg *cg, struct sbx_cg_usage *u);

/* ---- seccomp.c ---- */

/* Build the BPF program of profile into a malloc'd array; the caller owns *out. */
int sbx_seccomp_build(enum sbx_profile profile, enum sbx_network network, struct sock_filter **out,
                      unsigned short *len);
/* The zygote's own filter: the default one, but namespaces and mounts allowed (see seccomp.c). */
int sbx_seccomp_build_zygote(struct sock_filter **out, unsigned short *len);

/* ---- mounts.c ---- */

/* A detached tmpfs (fsopen/fsmount): the returned O_PATH fd is the mount's root, owned by uid:gid. */
int sbx_tmpfs_new(uint64_t size_kb, uint64_t inodes, unsigned mode, uid_t uid, gid_t gid, int *out_fd);
int sbx_files_write(int root, const struct sbx_file_in *files, size_t n, uid_t uid, gid_t gid, char *err,
                    size_t errlen);
void sbx_files_collect(int root, const struct sbx_file_out *files, size_t n, struct sbx_collected *out);
/* 0 when name is relative and made of plain components only (no "..", ".", empty parts); else -EINVAL. */
int sbx_check_name(const char *name);
/* A detached read-only, nosuid, nodev clone of the host path source (open_tree), ready for move_mount. */
int sbx_bind_open(const char *source, int *out_fd);
/* The read-only tree of one box, as detached mounts ready to be attached by the helper in ns.c. */
struct sbx_tree_mount {
    int fd;
    char target[SBX_PATH_MAX]; /* relative to the box root */
};
struct sbx_tree {
    int root;                  /* tmpfs root, read-only once populated */
    struct sbx_tree_mount *mounts;
    size_t nmounts;
};
int sbx_tree_build(const struct sbx_ctx *ctx, uid_t uid, gid_t gid, struct sbx_tree *t, char *err,
                   size_t errlen);
void sbx_tree_free(struct sbx_tree *t);

/* ---- ns.c ---- */

/* Create the box's long-lived mount/net/uts namespaces around tree; returns their fds. */
int sbx_ns_create(const struct sbx_tree *t, const char *hostname, int *mnt, int *net, int *uts, char *err,
                  size_t errlen);

/* ---- confine.c ---- */

/* Who a confined process becomes, and its filter: what sbx_confine_to needs, without a box. */
struct sbx_identity {
    uid_t uid;
    gid_t gid;
    int cap_last;                    /* highest capability number of the kernel */
    const struct sock_fprog *filter; /* installed last */
};

/* Confine the calling process, in two halves. Early (nothing of a run needed; the caller is root): setsid,
 * capability bounding and ambient sets emptied, the filter - every later step is one the filter allows.
 * Rest: rlimits from lim (defaults already filled in), groups/gid/uid, PR_SET_PDEATHSIG(SIGKILL), chdir(cwd)
 * unless NULL, no_new_privs. sbx_confine_to does both. On failure *step names the step. Async-signal-safe. */
int sbx_confine_early(const struct sbx_identity *id, const char **step);
int sbx_confine_rest(const struct sbx_identity *id, const struct sbx_limits *lim, const char *cwd,
                     const char **step);
int sbx_confine_to(const struct sbx_identity *id, const struct sbx_limits *lim, const char *cwd,
                   const char **step);

/* The confinement sequence shared by sbx_run's program child and zygote children. On failure *step names
 * the step that failed. cwd may be NULL. Async-signal-safe. */
int sbx_confine(const struct sbx_box *box, const struct sbx_limits *lim, enum sbx_profile profile,
                enum sbx_network network, const char *cwd, const char **step);

/* ---- util.c ---- */

uint64_t sbx_now_us(void);
int sbx_write_str_at(int dirfd, const char *file, const char *s); /* whole string, one write */
int sbx_write_u64_fd(int fd, uint64_t v);                       /* pwrite at 0, decimal */
int sbx_read_u64_fd(int fd, uint64_t *v);                       /* pread at 0, leading decimal */
int sbx_read_small(int dirfd, const char *file, char *buf, size_t len); /* NUL-terminated */
/* The value of "key N" in a flat-keyed cgroup file ("oom_kill 3"); 0 when absent. */
int sbx_read_key_u64(int dirfd, const char *file, const char *key, uint64_t *v);
int sbx_mkdir_p(const char *path, mode_t mode);
void sbx_close(int *fd); /* close if >= 0 and set to -1 */
void sbx_errf(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
long sbx_clone3(void *args, size_t size);
int sbx_pidfd_send_signal(int pidfd, int sig);
/* Close every descriptor except those listed (any order, -1 entries ignored). Async-signal-safe. */
void sbx_close_all_except(const int *keep, size_t n);
/* In a run's init, in its own mount namespace: the run's /box and /tmp (detached tmpfs, closed after) moved
 * into place and a fresh /proc (hidepid=invisible: the program sees only its uid's processes; subset=pid:
 * no /proc/sys, /proc/kcore...). Syscalls only. Returns 0, or -errno with *step naming what failed. */
int sbx_attach_run_mounts(int boxfs, int tmpfs, const char **step);

/* ---- init.c ---- */

/* The init of the box's next run, started ahead of its request (see init.c). */
struct sbx_init {
    pid_t pid;
    int pidfd;
    int sock;  /* the request goes here; init's setup failures come back here */
    int boxfs; /* the run's /box tmpfs: files in before, files out after */
    bool pending; /* asked of the spawner, reply not read yet (pid and pidfd unknown) */
};

/* A box's run lane: cgroups of its own, a spawner that lives in them, and the init it prepared. */
struct sbx_lane {
    unsigned index; /* 0 or 1: box<id> or box<id>-b */
    struct sbx_cg cg;
    int spawner_sock, spawner_pidfd;
    struct sbx_init init;
};

struct sbx_init_status { /* init -> supervisor, through the status pipe */
    int status;
    struct rusage ru;
};

struct sbx_failure { /* init or program -> supervisor, when a step before execve failed */
    int err;
    char step[60];
};

#define SBX_REQ_MAX (256 * 1024) /* argv + envp + cwd of one run, with init's pointer arrays */

/* Start the next run's init: begin asks the spawner (returns at once), finish collects its pidfd. A failed
 * begin or finish leaves no init; sbx_run then tries again. */
int sbx_init_begin(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen);
int sbx_init_finish(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen);
/* The init itself, in the child the spawner cloned. Never returns. */
_Noreturn void sbx_init_main(const struct sbx_box *box, int sock, int boxfs, int tmpfs, bool cgroup_ns);
void sbx_init_discard(struct sbx_box *box, struct sbx_lane *lane); /* kill and reap it (finishing a pending start); safe always */
/* fds: stdin, stdout pipe, stderr pipe, status pipe, failure pipe (write ends), then one detached mount per
 * run->binds entry (bind_fds[i] < 0: skipped, an optional source that is absent). */
int sbx_init_request(struct sbx_box *box, const struct sbx_run *run, const struct sbx_limits *lim,
                     const int fds[5], const int *bind_fds);
/* Ask the waiting init to become the box's zygote (see init.c): fds are stdin, stdout, stderr, the control
 * socket (the zygote's fd 3) and the failure pipe; then up to 3 cgroup.procs it moves into first, and a
 * cgroup namespace it joins then (or -1). */
int sbx_init_request_zygote(struct sbx_box *box, const char *const *argv, const char *const *envp,
                            const int fds[5], const int *cgroup_fds, size_t ncgroups, int cgroup_ns);

/* ---- fdpass.c ---- */

#define SBX_FDS_MAX 8
/* One sendmsg of data with nfds descriptors; returns the bytes sent or -errno (never SIGPIPE). */
int sbx_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfds);
/* One recvmsg into data (up to len); descriptors (CLOEXEC) into fds, their count into *nfds. Returns the
 * bytes received, -ECONNRESET at end of stream, or -errno. */
int sbx_recv_fds(int sock, void *data, size_t len, int *fds, int *nfds);

/* ---- spawner.c ---- */

int sbx_spawner_start(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen);
void sbx_spawner_stop(struct sbx_lane *lane);
int sbx_spawner_restart(struct sbx_box *box, struct sbx_lane *lane, char *err, size_t errlen); /* after it died (OOM kill...) */
/* Ask the spawner to clone an init (a child of ours, by CLONE_PARENT) with these descriptors; the reply
 * brings its pid and pidfd. Requests and replies pair up in order. */
int sbx_spawner_request(struct sbx_lane *lane, int init_sock, int boxfs, int tmpfs, int cgroup_dir);
int sbx_spawner_reply(struct sbx_lane *lane, pid_t *pid, int *pidfd);

/* ---- zygote.c, zygote_ext.c: the Python zygote (protocol shared by both halves) ---- */

#define SBX_ZYGOTE_MAGIC 0x315a474au /* "JGZ1" */
#define SBX_ZYGOTE_HELLO_MAX (192 * 1024) /* one SOCK_SEQPACKET message */
#define SBX_ZYGOTE_JOB_MAX (32 * 1024)

/* supervisor -> zygote, once, with the native half as a memfd (SCM_RIGHTS). Then filter_len struct
 * sock_filter (the runs' filter), then npreload times: uint32 path length, uint32 source length, path, source. */
struct sbx_zygote_hello {
    uint32_t magic, size;
    uint32_t uid, gid;
    int32_t cap_last;
    uint32_t filter_len;
    uint32_t npreload;
    uint32_t python; /* major << 8 | minor the native half was built for */
    uint32_t flags;  /* SBX_ZYGOTE_CGROUP_NS: each run's init takes a cgroup namespace of its own */
    uint32_t reserved;
};
#define SBX_ZYGOTE_CGROUP_NS 1u

/* supervisor -> zygote: "F" + (/box tmpfs, /tmp tmpfs, status pipe write end); reply "K" + (the init's pidfd,
 * the socket to its waiting child), or "E" + struct sbx_failure. */

/* supervisor -> the waiting child: this header, cwd and argc strings (script, arguments), NUL-terminated;
 * fds stdin, stdout, stderr, failure pipe. */
struct sbx_zygote_job {
    uint32_t size;
    uint32_t argc;
    struct sbx_limits lim;
};

/* A child the zygote forked ahead of its run: an init (pid 1 of fresh pid, mount and IPC namespaces holding
 * the run's /box, /tmp and /proc) and the init's child, which waits for the request. */
struct sbx_zchild {
    int pidfd;    /* the init; not our child (the zygote reaps it): readable once it and its namespace are gone */
    int sock;     /* to the waiting child: the request goes here; the init's setup failure comes back here */
    int boxfs;    /* the run's /box */
    int status;   /* read end: the init writes the program's struct sbx_init_status */
    bool pending; /* asked of the zygote, reply not read yet */
};

struct sbx_zygote {
    pid_t pid;
    int pidfd;    /* the zygote: our child (cloned by the spawner with CLONE_PARENT, as inits are) */
    int ctl;      /* SOCK_SEQPACKET: fork requests and their replies */
    struct sbx_cg cg; /* v1 box<id>-zygote: the zygote, its inits and their programs */
    struct sbx_zchild next;
    uint64_t runs; /* by this zygote */
    unsigned max_runs;
    char **argv;  /* interpreter and flags (nargv), NULL-terminated; owned copies */
    size_t nargv;
    char **envp;
    char *hello;  /* the hello message, kept for restarts */
    size_t hello_len;
};

/* Make box->zyg->next a child ready for a run, starting the zygote again if it died (once). */
int sbx_zygote_acquire(struct sbx_box *box, char *err, size_t errlen);
/* Hand the run to box->zyg->next's waiting child; fds as sbx_init_request's (the status pipe is not used). */
int sbx_zygote_request(struct sbx_box *box, const struct sbx_run *run, const struct sbx_limits *lim,
                       const int fds[5]);
/* After a run (used) or a failed start: drop box->zyg->next, replace the zygote when it is due, and ask for
 * the next child now, so that it is forked while the run's result is handled. */
void sbx_zygote_release(struct sbx_box *box, bool used);

/* ---- ctx.c / box.c ---- */

struct sbx_ctx {
    struct sbx_config cfg;     /* strings and binds point into owned copies below */
    struct sbx_bind *binds;
    char **strings;
    size_t nstrings;
    struct sbx_caps caps;
    enum sbx_cgroup_mode cg_mode; /* what boxes use: caps.cgroup, or forced */
    struct sock_filter *bpf[2]; /* by enum sbx_network: the filter without and with AF_INET/AF_INET6 */
    unsigned short bpf_len[2];
    struct sock_filter *bpf_zygote; /* the Python zygote's own filter */
    unsigned short bpf_zygote_len;
    int cap_last;              /* highest capability number of this kernel */
};

#define SBX_CHILD_STACK (256 * 1024)

/* Code that runs on a clone()d child's own stack must not be instrumented by AddressSanitizer: its
 * no-return bookkeeping sees the foreign stack, prints a warning into the child's output and would
 * corrupt what the program writes. */
#if defined(__SANITIZE_ADDRESS__)
#define SBX_NO_ASAN __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SBX_NO_ASAN __attribute__((no_sanitize_address))
#endif
#endif
#ifndef SBX_NO_ASAN
#define SBX_NO_ASAN
#endif

struct sbx_box {
    struct sbx_ctx *ctx;
    unsigned id;
    uid_t uid;
    gid_t gid;
    int mnt_ns, net_ns, uts_ns;
    int host_net;              /* the creator's network namespace: SBX_NETWORK_HOST runs join it */
    int devnull;               /* stdin when the run gives none */
    int cancel;                /* eventfd: sbx_box_cancel() -> the running sbx_run() */
    void *stack;               /* SBX_CHILD_STACK bytes: the program child's stack until it execs */
    char *req;                 /* SBX_REQ_MAX bytes: where init receives its request (in its own copy) */
    int claim;                 /* abstract socket "jobgate-sbx/uid/<uid>": one supervisor per box uid */
    /* Two lanes, used in turn: while a run goes in one, the other's spawner prepares the next run's init
     * in the other's cgroups, so that the next run does not wait for it and neither is counted in the
     * other's usage. */
    struct sbx_lane lanes[2];
    struct sbx_lane *lane;     /* the lane of the next (or current) run */
    struct sbx_zygote *zyg;    /* the box's Python zygote, or NULL */
};

#endif
