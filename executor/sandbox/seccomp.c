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

/* How a syscall is treated: a fixed action, or an argument check (the body emitters below). */
enum kind { K_RET, K_SOCKET, K_CLONE, K_PERSONALITY, K_FCNTL, K_IOCTL };

struct rule {
    unsigned nr;
    enum kind kind;
    unsigned action; /* K_RET only */
};

struct emitter {
    struct sock_filter *p;
    size_t n, cap;
    int oom;
};

static void emit(struct emitter *e, unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
    if(e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 256;
        struct sock_filter *p = realloc(e->p, cap * sizeof *p);
        if(!p) {
            e->oom = 1;
            return;
        }
        e->p = p;
        e->cap = cap;
    }
    e->p[e->n++] = (struct sock_filter){code, jt, jf, k};
}

static void ret(struct emitter *e, unsigned action)
{
    emit(e, BPF_RET | BPF_K, action, 0, 0);
}

static void load(struct emitter *e, size_t off)
{
    emit(e, BPF_LD | BPF_W | BPF_ABS, (unsigned)off, 0, 0);
}

/* if A == k: return action; else fall through */
static void eq_ret(struct emitter *e, unsigned k, unsigned action)
{
    emit(e, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1);
    ret(e, action);
}

/* The body of one rule. Every path ends in a RET, so A (the syscall number) needs no restoring. */
static void body(struct emitter *e, const struct rule *r)
{
    switch(r->kind) {
    case K_RET:
        ret(e, r->action);
        break;
    case K_SOCKET: /* only AF_UNIX: no AF_INET, AF_VSOCK, netlink, packet (there is no network anyway) */
        load(e, ARG_LO(0));
        eq_ret(e, 1 /* AF_UNIX */, RET_ALLOW);
        ret(e, RET_KILL);
        break;
    case K_CLONE: /* threads and plain forks yes, new namespaces no */
        load(e, ARG_LO(0));
        emit(e, BPF_JMP | BPF_JSET | BPF_K, clone_ns_flags, 0, 1);
        ret(e, RET_KILL);
        ret(e, RET_ALLOW);
        break;
    case K_PERSONALITY: /* query and PER_LINUX only: no READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE... */
        load(e, ARG_LO(0));
        eq_ret(e, 0, RET_ALLOW);
        eq_ret(e, 0xffffffffu, RET_ALLOW);
        ret(e, RET_KILL);
        break;
    case K_FCNTL:
        /* Locks, leases and dnotify reach across boxes through the shared read-only inodes (/usr): the
         * side channel isolate 2.6 closed. Refused with an errno, since sqlite and friends cope. */
        load(e, ARG_LO(1));
        eq_ret(e, 6 /* F_SETLK */, RET_ERRNO(ENOLCK));
        eq_ret(e, 7 /* F_SETLKW */, RET_ERRNO(ENOLCK));
        eq_ret(e, 37 /* F_OFD_SETLK */, RET_ERRNO(ENOLCK));
        eq_ret(e, 38 /* F_OFD_SETLKW */, RET_ERRNO(ENOLCK));
        eq_ret(e, 1024 /* F_SETLEASE */, RET_ERRNO(EPERM));
        eq_ret(e, 1026 /* F_NOTIFY */, RET_ERRNO(EPERM));
        ret(e, RET_ALLOW);
        break;
    case K_IOCTL: /* terminal injection (CVE-2017-5226 class); there is no tty in the box anyway */
        load(e, ARG_LO(1));
        eq_ret(e, 0x5412 /* TIOCSTI */, RET_KILL);
        eq_ret(e, 0x541C /* TIOCLINUX */, RET_KILL);
        ret(e, RET_ALLOW);
        break;
    }
}

/* A binary search over the sorted rules, so that any syscall costs ~10 instructions, not a walk down the
 * whole list. That matters twice: on every filtered call, and when the filter is installed, because the
 * kernel then evaluates it for every syscall number to build its allow cache (~0.2 ms for a linear list).
 * Conditional jumps reach 255 instructions at most, so the right half is reached with a 32-bit BPF_JA. */
static void tree(struct emitter *e, const struct rule *r, size_t n)
{
    if(n <= 3) {
        for(size_t i = 0; i < n; i++) {
            size_t at = e->n;
            emit(e, BPF_JMP | BPF_JEQ | BPF_K, r[i].nr, 0, 0);
            body(e, &r[i]);
            if(!e->oom)
                e->p[at].jf = (unsigned char)(e->n - at - 1);
        }
        ret(e, RET_ALLOW);
        return;
    }
    size_t mid = n / 2;
    emit(e, BPF_JMP | BPF_JGE | BPF_K, r[mid].nr, 0, 1);
    size_t ja = e->n;
    emit(e, BPF_JMP | BPF_JA, 0, 0, 0);
    tree(e, r, mid);
    if(!e->oom)
        e->p[ja].k = (unsigned)(e->n - ja - 1);
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
    size_t n = 0;
    for(size_t i = 0; i < nk; i++)
        rules[n++] = (struct rule){kill_list[i], K_RET, RET_KILL};
    for(size_t i = 0; i < ne; i++)
        rules[n++] = (struct rule){enosys_list[i], K_RET, RET_ERRNO(ENOSYS)};
    for(size_t i = 0; i < nc; i++)
        rules[n++] = (struct rule){checks[i].nr, checks[i].kind, 0};
    rules[n++] = (struct rule){__NR_flock, K_RET, RET_ERRNO(ENOLCK)};
    qsort(rules, n, sizeof rules[0], by_nr);
    for(size_t i = 1; i < n; i++)
        if(rules[i].nr == rules[i - 1].nr)
            return -EINVAL; /* a syscall listed twice: the list is wrong */

    load(e, offsetof(struct seccomp_data, arch));
    emit(e, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    ret(e, RET_KILL); /* i386 (int 0x80) and anything else */
    load(e, offsetof(struct seccomp_data, nr));
    emit(e, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
    ret(e, RET_KILL);
    /* Syscalls newer than this list: refuse softly so new runtimes fall back instead of dying. */
    emit(e, BPF_JMP | BPF_JGE | BPF_K, FIRST_UNKNOWN_NR, 0, 1);
    ret(e, RET_ERRNO(ENOSYS));
    tree(e, rules, n);
    return 0;
}

int sbx_seccomp_build(enum sbx_profile profile, struct sock_filter **out, unsigned short *len)
{
    struct emitter e = {0};
    *out = NULL;
    *len = 0;
    switch(profile) {
    case SBX_PROFILE_DEFAULT:
        if(build_default(&e)) {
            free(e.p);
            return -EINVAL;
        }
        break;
    default:
        return -EINVAL;
    }
    if(e.oom) {
        free(e.p);
        return -ENOMEM;
    }
    if(e.n > BPF_MAXINSNS) {
        free(e.p);
        return -E2BIG;
    }
    *out = e.p;
    *len = (unsigned short)e.n;
    return 0;
}
