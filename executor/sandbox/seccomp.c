/* seccomp.c - the syscall filter, written directly as classic BPF and built once per ctx.
 *
 * Why not libseccomp: its argument comparisons are 64-bit, so an int argument with garbage in the high word
 * (socket(AF_INET | 1ul << 32)) slips past an "== AF_INET" rule while the kernel still sees AF_INET; and it
 * cannot say "every syscall number above N". The filter is a short deny-list, easy to read as BPF.
 *
 * Shape: arch must be x86_64 (i386 is killed), x32 numbers (bit 30) are killed, numbers newer than this list
 * knows get ENOSYS, then a binary search over the listed syscalls (fixed action or argument check), else
 * ALLOW. Hostile calls get SECCOMP_RET_KILL_PROCESS, so the run ends by SIGSYS and the verdict is SYS. A few calls get an
 * errno instead, where a legitimate runtime has a fallback (clone3 -> clone, whose flags we can check). */
#include "internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#if !defined(__x86_64__)
#error "the seccomp filter is written for x86_64 only"
#endif

#define X32_SYSCALL_BIT 0x40000000u
/* Numbers from 451 on are newer than the 6.1 headers this list was written against. */
#define FIRST_UNKNOWN_NR 451u

#define RET_KILL SECCOMP_RET_KILL_PROCESS
#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((e)&SECCOMP_RET_DATA))

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i)) /* little endian: low word first */

/* Denied outright: namespaces and mounts (escape and CVE-2022-0492 surface), cross-process access, kernel
 * objects that are not namespaced (keyrings, io_uring, bpf, perf), and host administration. */
static const unsigned kill_list[] = {
    __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev, __NR_pidfd_getfd, __NR_kcmp,
    __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_fsopen, __NR_fsconfig, __NR_fsmount,
    __NR_fspick, __NR_move_mount, __NR_open_tree, __NR_mount_setattr,
    __NR_unshare, __NR_setns,
    __NR_keyctl, __NR_add_key, __NR_request_key,
    __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
    __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
    __NR_kexec_load, __NR_kexec_file_load, __NR_init_module, __NR_finit_module, __NR_delete_module,
    __NR_create_module, __NR_reboot, __NR_swapon, __NR_swapoff, __NR_syslog, __NR_acct, __NR_quotactl,
    __NR_quotactl_fd, __NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex,
    __NR_name_to_handle_at, __NR_open_by_handle_at, __NR_fanotify_init, __NR_memfd_secret,
    __NR_iopl, __NR_ioperm, __NR_modify_ldt, __NR_lookup_dcookie, __NR_vhangup, __NR_uselib,
    __NR_sethostname, __NR_setdomainname,
};

/* Answered with ENOSYS: the caller has a fallback, or the call is harmless to refuse. */
static const unsigned enosys_list[] = {
    __NR_clone3, /* its flags live in memory seccomp cannot read; glibc falls back to clone */
    __NR_landlock_create_ruleset, __NR_landlock_add_rule, __NR_landlock_restrict_self,
};

/* CLONE_NEW* flags of the legacy clone(2); CLONE_NEWTIME shares bits with the exit signal there. */
static const unsigned clone_ns_flags = 0x00020000u /* NEWNS */ | 0x02000000u /* NEWCGROUP */ |
                                       0x04000000u /* NEWUTS */ | 0x08000000u /* NEWIPC */ |
                                       0x10000000u /* NEWUSER */ | 0x20000000u /* NEWPID */ |
                                       0x40000000u /* NEWNET */;

/* How a syscall is treated: a fixed outcome, or an argument check (the bodies below). */
enum kind { K_RET, K_SOCKET, K_CLONE, K_PERSONALITY, K_FCNTL, K_IOCTL };

/* The outcomes. Each is one RET at the end of the program, which every decision jumps to: one compare per
 * listed syscall instead of a compare and a return. */
enum label { L_ALLOW, L_KILL, L_ENOSYS, L_ENOLCK, L_EPERM, L_COUNT };
static const unsigned label_action[L_COUNT] = {RET_ALLOW, RET_KILL, RET_ERRNO(ENOSYS), RET_ERRNO(ENOLCK),
                                               RET_ERRNO(EPERM)};

struct rule {
    unsigned nr;
    enum kind kind;
    enum label to; /* K_RET only */
};

#define MAX_INSNS 255 /* every forward jump must fit in 8 bits: keep the whole program within reach */
#define MAX_FIXUPS 512

struct emitter {
    struct sock_filter p[MAX_INSNS];
    size_t n;
    struct {
        size_t at;
        int field; /* 0: jt, 1: jf, 2: k of a JA */
        enum label to;
    } fix[MAX_FIXUPS];
    size_t nfix;
    int overflow;
    int inet; /* socket() may create AF_INET/AF_INET6 sockets (SBX_NETWORK_HOST) */
    int zygote; /* the zygote's own filter: it makes each child's namespaces and mounts (zygote_ext.c) */
};

/* What the zygote may do that runs may not: a pid namespace per child (setns back to its own + unshare), and
 * in the child's init, before the program exists, fresh mount and IPC namespaces with its /box, /tmp and
 * /proc; and clone3, to clone each init into its run's cgroup (v2). Its children stack the default filter on
 * top, which denies all of these again. */
static const unsigned zygote_allows[] = {__NR_setns, __NR_unshare, __NR_mount, __NR_umount2, __NR_move_mount};

static int zygote_allowed(unsigned nr)
{
    for(size_t i = 0; i < sizeof zygote_allows / sizeof zygote_allows[0]; i++)
        if(zygote_allows[i] == nr)
            return 1;
    return 0;
}

static size_t emit(struct emitter *e, unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
    if(e->n == MAX_INSNS) {
        e->overflow = 1;
        return e->n - 1;
    }
    e->p[e->n] = (struct sock_filter){code, jt, jf, k};
    return e->n++;
}

static void jump_to(struct emitter *e, size_t at, int field, enum label to)
{
    if(e->nfix == MAX_FIXUPS) {
        e->overflow = 1;
        return;
    }
    e->fix[e->nfix].at = at;
    e->fix[e->nfix].field = field;
    e->fix[e->nfix++].to = to;
}

static void load(struct emitter *e, size_t off)
{
    emit(e, BPF_LD | BPF_W | BPF_ABS, (unsigned)off, 0, 0);
}

/* if A == k goto yes; else fall through */
static void jeq(struct emitter *e, unsigned k, enum label yes)
{
    jump_to(e, emit(e, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0), 0, yes);
}

/* if A == k goto yes; else goto no */
static void jeq_else(struct emitter *e, unsigned k, enum label yes, enum label no)
{
    size_t at = emit(e, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0);
    jump_to(e, at, 0, yes);
    jump_to(e, at, 1, no);
}

/* The argument checks of one syscall. Every path leaves through a label, so A needs no restoring. */
static void body(struct emitter *e, enum kind kind)
{
    size_t at;
    switch(kind) {
    case K_RET:
        break;
    case K_SOCKET: /* AF_UNIX (and AF_INET/AF_INET6 with the network): no AF_VSOCK, netlink, packet */
        load(e, ARG_LO(0));
        if(e->inet) {
            jeq(e, 2 /* AF_INET */, L_ALLOW);
            jeq(e, 10 /* AF_INET6 */, L_ALLOW);
        }
        jeq_else(e, 1 /* AF_UNIX */, L_ALLOW, L_KILL);
        break;
    case K_CLONE: /* threads and plain forks yes, new namespaces no */
        load(e, ARG_LO(0));
        at = emit(e, BPF_JMP | BPF_JSET | BPF_K, clone_ns_flags, 0, 0);
        jump_to(e, at, 0, L_KILL);
        jump_to(e, at, 1, L_ALLOW);
        break;
    case K_PERSONALITY: /* query and PER_LINUX only: no READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE... */
        load(e, ARG_LO(0));
        jeq(e, 0, L_ALLOW);
        jeq_else(e, 0xffffffffu, L_ALLOW, L_KILL);
        break;
    case K_FCNTL:
        /* Locks, leases and dnotify reach across boxes through the shared read-only inodes (/usr): the
         * side channel isolate 2.6 closed. Refused with an errno, since sqlite and friends cope. */
        load(e, ARG_LO(1));
        jeq(e, 6 /* F_SETLK */, L_ENOLCK);
        jeq(e, 7 /* F_SETLKW */, L_ENOLCK);
        jeq(e, 37 /* F_OFD_SETLK */, L_ENOLCK);
        jeq(e, 38 /* F_OFD_SETLKW */, L_ENOLCK);
        jeq(e, 1024 /* F_SETLEASE */, L_EPERM);
        jeq_else(e, 1026 /* F_NOTIFY */, L_EPERM, L_ALLOW);
        break;
    case K_IOCTL: /* terminal injection (CVE-2017-5226 class); there is no tty in the box anyway */
        load(e, ARG_LO(1));
        jeq(e, 0x5412 /* TIOCSTI */, L_KILL);
        jeq_else(e, 0x541C /* TIOCLINUX */, L_KILL, L_ALLOW);
        break;
    }
}

/* A binary search over the sorted rules, so that any syscall costs ~8 compares. That matters twice: on
 * every filtered call, and when the filter is installed, because the kernel then evaluates it for every
 * syscall number to build its allow cache, and JIT-compiles it: both scale with the program's length. */
static void tree(struct emitter *e, const struct rule *r, size_t n)
{
    if(n <= 4) {
        for(size_t i = 0; i < n; i++) {
            if(r[i].kind == K_RET) {
                jeq(e, r[i].nr, r[i].to);
                continue;
            }
            size_t at = emit(e, BPF_JMP | BPF_JEQ | BPF_K, r[i].nr, 0, 0);
            body(e, r[i].kind);
            e->p[at].jf = (unsigned char)(e->n - at - 1);
        }
        jump_to(e, emit(e, BPF_JMP | BPF_JA, 0, 0, 0), 2, L_ALLOW);
        return;
    }
    size_t mid = n / 2;
    size_t at = emit(e, BPF_JMP | BPF_JGE | BPF_K, r[mid].nr, 0, 0);
    tree(e, r, mid);
    e->p[at].jt = (unsigned char)(e->n - at - 1); /* fits: the whole program is under 256 */
    tree(e, r + mid, n - mid);
}

static int by_nr(const void *a, const void *b)
{
    unsigned x = ((const struct rule *)a)->nr, y = ((const struct rule *)b)->nr;
    return x < y ? -1 : x > y;
}

static int build_default(struct emitter *e)
{
    static const struct {
        unsigned nr;
        enum kind kind;
    } checks[] = {{__NR_socket, K_SOCKET},           {__NR_socketpair, K_SOCKET}, {__NR_clone, K_CLONE},
                  {__NR_personality, K_PERSONALITY}, {__NR_fcntl, K_FCNTL},       {__NR_ioctl, K_IOCTL}};
    const size_t nk = sizeof kill_list / sizeof kill_list[0], ne = sizeof enosys_list / sizeof enosys_list[0];
    const size_t nc = sizeof checks / sizeof checks[0];
    struct rule rules[sizeof kill_list / sizeof kill_list[0] + sizeof enosys_list / sizeof enosys_list[0] +
                      sizeof checks / sizeof checks[0] + 1];
    size_t n = 0, label_at[L_COUNT];
    for(size_t i = 0; i < nk; i++)
        if(!e->zygote || !zygote_allowed(kill_list[i]))
            rules[n++] = (struct rule){kill_list[i], K_RET, L_KILL};
    for(size_t i = 0; i < ne; i++)
        if(!e->zygote || enosys_list[i] != __NR_clone3) /* it clones runs' inits into their cgroup (v2) */
            rules[n++] = (struct rule){enosys_list[i], K_RET, L_ENOSYS};
    for(size_t i = 0; i < nc; i++)
        rules[n++] = (struct rule){checks[i].nr, checks[i].kind, L_ALLOW};
    rules[n++] = (struct rule){__NR_flock, K_RET, L_ENOLCK};
    qsort(rules, n, sizeof rules[0], by_nr);
    for(size_t i = 1; i < n; i++)
        if(rules[i].nr == rules[i - 1].nr)
            return -EINVAL; /* a syscall listed twice: the list is wrong */

    load(e, offsetof(struct seccomp_data, arch));
    jeq_else(e, AUDIT_ARCH_X86_64, L_COUNT, L_KILL); /* i386 (int 0x80) and anything else: killed */
    load(e, offsetof(struct seccomp_data, nr));
    jump_to(e, emit(e, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 0), 0, L_KILL);
    /* Syscalls newer than this list: refuse softly so new runtimes fall back instead of dying. */
    jump_to(e, emit(e, BPF_JMP | BPF_JGE | BPF_K, FIRST_UNKNOWN_NR, 0, 0), 0, L_ENOSYS);
    tree(e, rules, n);
    for(int l = 0; l < L_COUNT; l++)
        label_at[l] = emit(e, BPF_RET | BPF_K, label_action[l], 0, 0);
    if(e->overflow)
        return -E2BIG;
    for(size_t i = 0; i < e->nfix; i++) {
        size_t at = e->fix[i].at;
        if(e->fix[i].to == L_COUNT) /* "next instruction" */
            continue;
        size_t dist = label_at[e->fix[i].to] - at - 1;
        if(e->fix[i].field == 2)
            e->p[at].k = (unsigned)dist;
        else if(e->fix[i].field == 0)
            e->p[at].jt = (unsigned char)dist;
        else
            e->p[at].jf = (unsigned char)dist;
    }
    return 0;
}

static int build(enum sbx_profile profile, enum sbx_network network, int zygote, struct sock_filter **out,
                 unsigned short *len)
{
    struct emitter *e = calloc(1, sizeof *e);
    int rc = 0;
    *out = NULL;
    *len = 0;
    if(!e)
        return -ENOMEM;
    e->inet = network == SBX_NETWORK_HOST;
    e->zygote = zygote;
    switch(profile) {
    case SBX_PROFILE_DEFAULT:
        rc = build_default(e);
        break;
    default:
        rc = -EINVAL;
    }
    if(rc)
        goto out;
    *out = malloc(e->n * sizeof **out);
    if(!*out) {
        rc = -ENOMEM;
        goto out;
    }
    memcpy(*out, e->p, e->n * sizeof **out);
    *len = (unsigned short)e->n;
out:
    free(e);
    return rc;
}

int sbx_seccomp_build(enum sbx_profile profile, enum sbx_network network, struct sock_filter **out,
                      unsigned short *len)
{
    return build(profile, network, 0, out, len);
}

int sbx_seccomp_build_zygote(struct sock_filter **out, unsigned short *len)
{
    return build(SBX_PROFILE_DEFAULT, SBX_NETWORK_NONE, 1, out, len);
}
