/* sandbox.h - run untrusted programs under namespaces, seccomp, rlimits and cgroups (prefix sbx_).
 *
 * Lifecycle (libuv style: init -> use -> close; free only after close):
 *
 *   struct sbx_ctx *ctx;                         once per daemon: probe, config, seccomp BPF compiled once
 *   sbx_ctx_init(&ctx, &cfg, err, sizeof err);
 *   struct sbx_box *box;                         once per slot: uid, cgroup, netns/utsns, read-only mount tree
 *   sbx_box_init(ctx, slot_id, &box, err, sizeof err);
 *   sbx_run(box, &run, &res); ...; sbx_result_free(&res);     per run, any number of times
 *   sbx_box_close(box);
 *   sbx_ctx_close(ctx);
 *
 * Threads: sbx_run() on *different* boxes may run concurrently from different threads; one box runs one
 * thing at a time. sbx_box_cancel() may be called from any thread. The ctx is read-only after init.
 * Processes: a box belongs to the process that created it (the init of its next run is that process's
 * child, started ahead of the run); after fork() only the parent may use it. Do not reap children you did
 * not create (waitpid(-1) or SIGCHLD set to SIG_IGN would take the box's inits).
 * Children are created with raw clone(), never glibc fork(), and touch no malloc before exec, so a
 * multi-threaded daemon can call sbx_run() safely.
 *
 * Every function returning int returns 0 or a negative errno. The design note is README.md beside this file.
 */
#ifndef JOBGATE_SANDBOX_H
#define JOBGATE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---------------------------------------------------------------------------------------------------------
 * What the host can enforce
 */

/* One bit per mechanism. sbx_probe() sets the bits the host offers; a daemon passes the bits it insists on
 * as sbx_config.required and sbx_ctx_init() refuses (-EPERM, with the missing list) when any is absent. */
enum sbx_cap {
    SBX_CAP_ROOT = 1u << 0,          /* CAP_SYS_ADMIN in the initial user ns (mounts, setns, cgroups) */
    SBX_CAP_SETUID = 1u << 1,        /* can switch to the box uid/gid (CAP_SETUID+CAP_SETGID) */
    SBX_CAP_NS_MNT = 1u << 2,        /* each namespace kind can be created here */
    SBX_CAP_NS_PID = 1u << 3,
    SBX_CAP_NS_NET = 1u << 4,
    SBX_CAP_NS_IPC = 1u << 5,
    SBX_CAP_NS_UTS = 1u << 6,
    SBX_CAP_NS_CGROUP = 1u << 7,
    SBX_CAP_NS_USER = 1u << 8,       /* user namespaces allowed (informational: the box does not use one) */
    SBX_CAP_SECCOMP = 1u << 9,       /* seccomp filter mode with SECCOMP_RET_KILL_PROCESS */
    SBX_CAP_MOUNT_API = 1u << 10,    /* fsopen/fsmount/move_mount (per-run tmpfs handed in by descriptor) */
    SBX_CAP_PIDFD = 1u << 11,        /* clone3 CLONE_PIDFD + pidfd_send_signal */
    SBX_CAP_CG_MEMORY = 1u << 12,    /* memory limit + peak + OOM count, in a cgroup we can create */
    SBX_CAP_CG_PIDS = 1u << 13,      /* pids.max */
    SBX_CAP_CG_CPU = 1u << 14,       /* CPU accounting of all tasks (v1 cpuacct.usage / v2 cpu.stat) */
    SBX_CAP_CG_NOSWAP = 1u << 15,    /* swap can be forbidden (v1 memsw / v2 memory.swap.max, or no swap) */
    SBX_CAP_CG_PEAK = 1u << 16,      /* a true per-run peak (v1 max_usage_in_bytes / v2 memory.peak) */
};

/* Everything a production box needs on a root host. */
#define SBX_CAPS_STRICT                                                                                    \
    (SBX_CAP_ROOT | SBX_CAP_SETUID | SBX_CAP_NS_MNT | SBX_CAP_NS_PID | SBX_CAP_NS_NET | SBX_CAP_NS_IPC |   \
     SBX_CAP_NS_UTS | SBX_CAP_SECCOMP | SBX_CAP_MOUNT_API | SBX_CAP_PIDFD | SBX_CAP_CG_MEMORY |            \
     SBX_CAP_CG_PIDS | SBX_CAP_CG_CPU | SBX_CAP_CG_NOSWAP)
/* What sbx_box_init() cannot work without at all (no cgroup: limits fall back to rlimits). */
#define SBX_CAPS_MINIMUM                                                                                   \
    (SBX_CAP_ROOT | SBX_CAP_SETUID | SBX_CAP_NS_MNT | SBX_CAP_NS_PID | SBX_CAP_NS_NET | SBX_CAP_NS_IPC |   \
     SBX_CAP_NS_UTS | SBX_CAP_SECCOMP | SBX_CAP_MOUNT_API | SBX_CAP_PIDFD)

enum sbx_cgroup_mode {
    SBX_CGROUP_NONE = 0,
    SBX_CGROUP_V1 = 1, /* memory/pids/cpuacct as separate v1 hierarchies (hybrid or legacy hosts) */
    SBX_CGROUP_V2 = 2, /* unified hierarchy with the controllers delegated to us */
};

#define SBX_PATH_MAX 512

struct sbx_caps {
    uint32_t have;                  /* SBX_CAP_* bits */
    enum sbx_cgroup_mode cgroup;
    /* The supervisor's own cgroup directory in each hierarchy used ("" when absent). Boxes go below it. */
    char cg_memory[SBX_PATH_MAX];   /* v1 memory hierarchy */
    char cg_pids[SBX_PATH_MAX];     /* v1 pids hierarchy */
    char cg_cpuacct[SBX_PATH_MAX];  /* v1 cpuacct hierarchy */
    char cg_unified[SBX_PATH_MAX];  /* v2 */
    char desc[2048];                /* human-readable: one "mechanism: yes/no (why)" line each */
};

/* Find out what this host lets us enforce. Never fails on a missing mechanism: it clears the bit and says
 * why in desc. Returns -errno only if the probe itself cannot run (e.g. no /proc). Forks short-lived
 * children to try namespaces. */
int sbx_probe(struct sbx_caps *out);

/* 0 when every bit of required is in caps->have; else -EPERM and the missing mechanisms, comma-separated,
 * in missing (may be NULL). */
int sbx_caps_check(const struct sbx_caps *caps, uint32_t required, char *missing, size_t missing_len);

/* Name of one SBX_CAP_* bit ("cgroup-memory"...), for logs. */
const char *sbx_cap_name(uint32_t bit);

/* ---------------------------------------------------------------------------------------------------------
 * Configuration and lifecycle
 */

/* A read-only bind mount of a host path into every box (sbx_config), or into one run (sbx_run). Directories and files both work; a host path that
 * is a symlink (merged /usr: /bin -> usr/bin) is reproduced as the same symlink. */
struct sbx_bind {
    const char *source; /* host path, absolute */
    const char *target; /* path inside the box; NULL = same as source */
    bool optional;      /* skip silently when source does not exist */
};

struct sbx_config {
    uid_t first_uid;            /* box k runs as uid and gid first_uid + k; 0 = 60000 */
    const char *cgroup_name;    /* created below the supervisor's own cgroup; NULL = "jobgate-sbx" */
    const struct sbx_bind *binds; /* NULL = sbx_default_binds() */
    size_t nbinds;
    uint64_t tmpfs_kb;          /* size of each per-run tmpfs (/box and /tmp); 0 = 64 MiB */
    uint64_t tmpfs_inodes;      /* 0 = 4096 */
    const char *hostname;       /* NULL = "sandbox" */
    uint32_t required;          /* SBX_CAP_* bits to insist on; 0 = SBX_CAPS_MINIMUM */
    bool cgroup_force_v2;       /* tests: use the v2 code path even on a hybrid host (CPU accounting only) */
    bool cgroup_disable;        /* no cgroups at all (rlimits only); refused if required has CG_* bits */
};

/* The default read-only binds: /usr, /bin, /lib, /lib64, /sbin (symlinks on merged-usr hosts),
 * /etc/alternatives, /etc/ld.so.cache, /etc/localtime, /etc/python3.11, /etc/python3 (all but /usr optional).
 * Binds nest only below directories of the box's own tmpfs root, never inside another bind. Returns the count. */
size_t sbx_default_binds(const struct sbx_bind **out);

struct sbx_ctx;

/* Probe the host, check cfg->required, copy the config, compile the seccomp filters to BPF (once).
 * On failure *out is NULL and err (may be NULL) says why. */
int sbx_ctx_init(struct sbx_ctx **out, const struct sbx_config *cfg, char *err, size_t errlen);
const struct sbx_caps *sbx_ctx_caps(const struct sbx_ctx *ctx);
void sbx_ctx_close(struct sbx_ctx *ctx); /* all boxes must be closed first */

struct sbx_box;

/* Prepare slot id: uid/gid first_uid+id (refused with -EADDRINUSE if another process holds that uid's
 * box), a cgroup, a long-lived set of namespaces (mount tree built once: tmpfs root, read-only binds,
 * minimal /dev and /etc, pivot_root; empty network namespace; own hostname), a descriptor of the caller's
 * network namespace (for SBX_NETWORK_HOST runs), a spawner process inside the
 * box's cgroups, and the first run's init, set up and waiting. Costs a few ms; do it at daemon start. */
int sbx_box_init(struct sbx_ctx *ctx, unsigned id, struct sbx_box **out, char *err, size_t errlen);
void sbx_box_close(struct sbx_box *box); /* box must not be running */
uid_t sbx_box_uid(const struct sbx_box *box);

/* Kill the box's current run, if any (from any thread): sbx_run returns SBX_INTERNAL with res->cancelled.
 * A cancel that arrives between runs applies to the next run only if it is already inside sbx_run. */
int sbx_box_cancel(struct sbx_box *box);

/* ---------------------------------------------------------------------------------------------------------
 * One run
 */

/* Limits. 0 in any field means "the default" noted beside it (sbx_limits_default() fills them in);
 * there is no "unlimited" for wall time. */
struct sbx_limits {
    uint64_t cpu_ms;          /* user+sys of all tasks (cgroup); 0 = 10 s */
    uint64_t wall_ms;         /* 0 = 2 x cpu_ms + 1 s */
    uint64_t memory_kb;       /* cgroup memory (swap off), includes tmpfs pages written; 0 = 256 MiB */
    uint64_t stack_kb;        /* RLIMIT_STACK; 0 = memory_kb */
    uint64_t address_space_kb; /* RLIMIT_AS, for "malloc returns NULL"; 0 = not set */
    uint64_t output_bytes;    /* stdout cap: more is OLE; 0 = 64 MiB */
    uint64_t stderr_bytes;    /* stderr cap: more is OLE; 0 = output_bytes */
    uint64_t file_size_bytes; /* RLIMIT_FSIZE per file written: more is SIGXFSZ -> OLE; 0 = 64 MiB */
    uint32_t processes;       /* tasks (processes + threads) in the run; 0 = 64 */
    uint32_t open_files;      /* RLIMIT_NOFILE; 0 = 256 */
};
void sbx_limits_default(struct sbx_limits *lim); /* replace zeros by the defaults in place */

/* A file placed into /box before the run, written by the supervisor into the fresh per-run tmpfs. name is
 * relative to /box ("a.out", "tests/1.in"): no "..", no empty components; parents are created. Source is
 * data/len, or fd >= 0 (read from offset 0 with pread; the caller keeps the fd). */
struct sbx_file_in {
    const char *name;
    const void *data;
    size_t len;
    int fd; /* -1 when data is used */
    mode_t mode; /* 0 = 0644 */
};

/* A file read back from /box after the run: regular files only, never through a symlink
 * (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS + O_NOFOLLOW), at most max_bytes (0 = 16 MiB). */
struct sbx_file_out {
    const char *name;
    uint64_t max_bytes;
};

enum sbx_profile {
    SBX_PROFILE_DEFAULT = 0, /* the deny-list in seccomp.c: namespaces, mounts, ptrace, bpf, keyrings... */
};

/* The network a run sees. NONE: the box's own network namespace, which has no interface up (not even lo),
 * and socket() is limited to AF_UNIX. HOST: the network namespace of the process that created the box
 * (the executor's), with AF_INET and AF_INET6 sockets allowed too - for jobs an administrator lets out;
 * everything else about the run is as confined as without it. */
enum sbx_network {
    SBX_NETWORK_NONE = 0,
    SBX_NETWORK_HOST = 1,
};

struct sbx_run {
    const char *const *argv;  /* argv[0] is the program's path inside the box (absolute or ./x in cwd) */
    const char *const *envp;  /* NULL = empty environment; nothing is inherited from the supervisor */
    const char *cwd;          /* inside the box; NULL = "/box" */
    int stdin_fd;             /* >= 0: the program's stdin (caller keeps it); -1: stdin_data (or empty) */
    const void *stdin_data;
    size_t stdin_len;
    const struct sbx_file_in *files_in;
    size_t nfiles_in;
    const struct sbx_file_out *files_out;
    size_t nfiles_out;
    struct sbx_limits limits; /* zeros = defaults */
    enum sbx_profile profile;
    enum sbx_network network; /* 0 = SBX_NETWORK_NONE */
    /* Read-only (nosuid, nodev) binds of host paths into this run only, e.g. a cached virtual environment:
     * mounted by the run's init before the program exists, gone with the run. The target must already exist
     * in the box's tree and be of the source's type; the tree has an empty directory /mnt for this. A missing
     * source is skipped when optional, else the run fails (SBX_INTERNAL). At most SBX_RUN_BINDS_MAX. */
    const struct sbx_bind *binds;
    size_t nbinds;
};
#define SBX_RUN_BINDS_MAX 3

/* In precedence order: when several apply, the larger value wins. */
enum sbx_verdict {
    SBX_OK = 0,
    SBX_RE_EXIT,   /* non-zero exit code */
    SBX_RE_SIGNAL, /* killed by a signal other than the ones below */
    SBX_SYS,       /* forbidden system call (SIGSYS from seccomp) */
    SBX_OLE,       /* stdout/stderr cap exceeded, or SIGXFSZ */
    SBX_MLE,       /* OOM kill in the cgroup */
    SBX_TLE_WALL,  /* wall clock limit */
    SBX_TLE_CPU,   /* CPU limit (cgroup usage, or SIGXCPU) */
    SBX_INTERNAL,  /* the sandbox failed or the run was cancelled; see message */
};
const char *sbx_verdict_name(enum sbx_verdict v); /* "OK", "RE", "SIG", "SYS", "OLE", "MLE", "TLE_WALL"... */

struct sbx_output {
    char *data;     /* NUL-terminated for convenience (len excludes it); owned by the result */
    size_t len;     /* bytes kept (<= the cap) */
    uint64_t total; /* bytes the program wrote, as far as we read before stopping it */
    bool truncated; /* total > len */
};

struct sbx_collected {
    char *data;     /* owned by the result; NULL when error != 0 */
    size_t len;
    bool truncated; /* the file was larger than max_bytes */
    int error;      /* 0, or -ENOENT, -ELOOP (symlink), -EINVAL (not a regular file), -EXDEV... */
};

struct sbx_result {
    enum sbx_verdict verdict;
    uint64_t cpu_us;          /* user+sys, all tasks (cgroup when present, else rusage of the reaped tree) */
    uint64_t cpu_ms;
    uint64_t wall_us;         /* from the creation of the run's init to its death */
    uint64_t wall_ms;
    uint64_t memory_kb;       /* peak; see memory_source */
    const char *memory_source; /* "cgroup-v1", "cgroup-v2", or "rusage" (includes the spawner's RSS) */
    int exit_code;            /* valid when signal == 0 */
    int signal;               /* terminating signal of the program, 0 if it exited */
    bool cancelled;
    struct sbx_output out, err;
    struct sbx_collected *files; /* nfiles entries, same order as run->files_out */
    size_t nfiles;
    char message[256];        /* why: internal error text, "wall limit", "SIGSYS", ... */
};

/* Run one program in the box and wait for it. Returns 0 when the program was run and res->verdict is its
 * outcome; -errno when the sandbox failed (res->verdict is SBX_INTERNAL and res->message says why).
 * res is always initialised and must be released with sbx_result_free(). */
int sbx_run(struct sbx_box *box, const struct sbx_run *run, struct sbx_result *res);
void sbx_result_free(struct sbx_result *res); /* frees buffers, leaves res zeroed; safe twice */

/* ---------------------------------------------------------------------------------------------------------
 * The Python zygote: a warm interpreter per box that forks a sandboxed child per run (zygote.c, README.md).
 *
 * sbx_zygote_start() turns the box's waiting init into `python3 <flags> -c <bootstrap>`: pid 1 of a pid
 * namespace inside the box (its mount, network and uts namespaces, read-only root), in cgroups of its own
 * (v1: box<id>-zygote), root with only the capabilities its children's namespaces and confinement need,
 * no_new_privs and a seccomp filter (the default one with namespaces and mounts allowed). It imports the
 * preloaded scripts once. For each run it has forked, ahead of time, an init (pid 1 of a fresh pid, mount and
 * IPC namespace, with the run's fresh /box, /tmp and /proc) and that init's child; the child waits for the
 * request, dup2s its fds, confines itself with exactly the code of every sandboxed program (rlimits, uid,
 * capabilities, no_new_privs, the run's seccomp filter) before it reads a byte of the job, then runs the
 * script as `python3 <flags> script args` would - without starting an interpreter. Limits, supervision,
 * outputs, measurements and verdicts are sbx_run's.
 */

struct sbx_zygote_config {
    const char *const *argv; /* the interpreter and its flags, e.g. {"/usr/bin/python3", "-I", "-B", NULL}: runs
                                whose argv is this prefix, then a script path (not an option), may use the zygote */
    const char *const *envp; /* the zygote's environment, and so every zygote run's (runs with another are refused) */
    const struct sbx_file_in *preload; /* scripts compiled and run once at start, as a module that is not __main__
                                          (so their imports are warm and an `if __name__ == "__main__":` block
                                          does not run); name is the absolute path the script has in runs
                                          ("/box/harness.py"): a run of that exact source uses the compiled code */
    size_t npreload;
    unsigned max_runs;       /* the zygote is replaced after this many runs; 0 = 10000 */
};

/* Start the box's zygote (a few tens of ms: the interpreter's start and the preloads). -ENOTSUP when this
 * build or host cannot (built without Python headers, cgroup v2, another Python version than the one the
 * native half was built for); err says why. A box has at most one zygote; it is replaced by the next run when
 * it dies, and closed with the box. */
int sbx_zygote_start(struct sbx_box *box, const struct sbx_zygote_config *cfg, char *err, size_t errlen);
void sbx_zygote_stop(struct sbx_box *box);

/* Whether the box has a zygote that can take run (argv prefix, environment, no binds, no network). */
bool sbx_zygote_accepts(const struct sbx_box *box, const struct sbx_run *run);

/* sbx_run() through the zygote; same contract, same verdicts and measurements. -ENOTSUP (with nothing of the
 * run started) when the zygote cannot take it: the caller may then use sbx_run(). */
int sbx_zygote_run(struct sbx_box *box, const struct sbx_run *run, struct sbx_result *res);

/* The zygote's pid in the caller's pid namespace, or -1 (for tests). */
pid_t sbx_zygote_pid(const struct sbx_box *box);

/* ---------------------------------------------------------------------------------------------------------
 * Low-level zygote hooks for a process that forks sandboxed children itself: sbx_box_enter() joins the box's
 * namespaces, sbx_confine_self() confines the calling process. Both are async-signal-safe and allocate nothing.
 */

/* Join the box's mount, network and uts namespaces (the calling process must be single-threaded). */
int sbx_box_enter(const struct sbx_box *box);

/* In the calling process, in this order: setsid, rlimits from lim, drop the capability bounding set,
 * groups/gid/uid to the box's, PR_SET_PDEATHSIG(SIGKILL), no_new_privs, then the precompiled seccomp filter
 * of profile. After it returns 0 the process is as confined as a sandboxed program about to execve. */
int sbx_confine_self(const struct sbx_box *box, const struct sbx_limits *lim, enum sbx_profile profile);

#endif
