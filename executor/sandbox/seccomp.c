/* seccomp.c - the syscall filter, written directly as classic BPF and built once per ctx.
 *
 * Why not libseccomp: its argument comparisons are 64-bit, so an int argument with garbage in the high word
 * (socket(AF_INET | 1ul << 32)) slips past an "== AF_INET" rule while the kernel still sees AF_INET; and it
 * cannot say "every syscall number above N". The filter is a short deny-list, easy to read as BPF.
 *
 * Shape: arch must be x86_64 (i386 is killed), x32 numbers (bit 30) are killed, then one compare per denied
 * syscall, then argument checks, then ENOSYS for numbers newer than this list knows, then ALLOW. Hostile
 * calls get SECCOMP_RET_KILL_PROCESS, so the run ends by SIGSYS and the verdict is SYS. A few calls get an
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

struct emitter {
    struct sock_filter *p;
    size_t n, cap;
    int oom;
};

static void emit(struct emitter *e, unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
    if(e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 128;
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

/* The argument checks of one syscall: load its argument, run the checks, then reload nr for the rest.
 * Each block starts with "if nr != sys: skip block"; the skip distance is patched once the block is out. */
static size_t block_begin(struct emitter *e, unsigned sys)
{
    emit(e, BPF_JMP | BPF_JEQ | BPF_K, sys, 0, 0);
    return e->n - 1;
}

static void block_end(struct emitter *e, size_t at)
{
    if(!e->oom)
        e->p[at].jf = (unsigned char)(e->n - at - 1);
}

static void build_default(struct emitter *e)
{
    load(e, offsetof(struct seccomp_data, arch));
    emit(e, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    ret(e, RET_KILL); /* i386 (int 0x80) and anything else */
    load(e, offsetof(struct seccomp_data, nr));
    emit(e, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
    ret(e, RET_KILL);

    for(size_t i = 0; i < sizeof kill_list / sizeof kill_list[0]; i++)
        eq_ret(e, kill_list[i], RET_KILL);
    for(size_t i = 0; i < sizeof enosys_list / sizeof enosys_list[0]; i++)
        eq_ret(e, enosys_list[i], RET_ERRNO(ENOSYS));

    /* Sockets: only AF_UNIX (there is no network anyway; this also shuts AF_VSOCK, netlink, packet). */
    static const unsigned socket_calls[] = {__NR_socket, __NR_socketpair};
    for(size_t i = 0; i < 2; i++) {
        size_t b = block_begin(e, socket_calls[i]);
        load(e, ARG_LO(0));
        eq_ret(e, 1 /* AF_UNIX */, RET_ALLOW);
        ret(e, RET_KILL);
        block_end(e, b);
    }

    /* clone: threads and plain forks yes, new namespaces no. */
    size_t b = block_begin(e, __NR_clone);
    load(e, ARG_LO(0));
    emit(e, BPF_JMP | BPF_JSET | BPF_K, clone_ns_flags, 0, 1);
    ret(e, RET_KILL);
    ret(e, RET_ALLOW);
    block_end(e, b);

    /* personality: query (0xffffffff) and PER_LINUX only; no READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE... */
    b = block_begin(e, __NR_personality);
    load(e, ARG_LO(0));
    eq_ret(e, 0, RET_ALLOW);
    eq_ret(e, 0xffffffffu, RET_ALLOW);
    ret(e, RET_KILL);
    block_end(e, b);

    /* File locks, leases and dnotify work across boxes on the shared read-only inodes (/usr): a side
     * channel isolate 2.6 closed the same way. Refused with an errno, since sqlite and friends cope. */
    b = block_begin(e, __NR_fcntl);
    load(e, ARG_LO(1));
    eq_ret(e, 6 /* F_SETLK */, RET_ERRNO(ENOLCK));
    eq_ret(e, 7 /* F_SETLKW */, RET_ERRNO(ENOLCK));
    eq_ret(e, 37 /* F_OFD_SETLK */, RET_ERRNO(ENOLCK));
    eq_ret(e, 38 /* F_OFD_SETLKW */, RET_ERRNO(ENOLCK));
    eq_ret(e, 1024 /* F_SETLEASE */, RET_ERRNO(EPERM));
    eq_ret(e, 1026 /* F_NOTIFY */, RET_ERRNO(EPERM));
    ret(e, RET_ALLOW);
    block_end(e, b);
    eq_ret(e, __NR_flock, RET_ERRNO(ENOLCK));

    /* Terminal injection (CVE-2017-5226 class); there is no tty in the box, this is belt and braces. */
    b = block_begin(e, __NR_ioctl);
    load(e, ARG_LO(1));
    eq_ret(e, 0x5412 /* TIOCSTI */, RET_KILL);
    eq_ret(e, 0x541C /* TIOCLINUX */, RET_KILL);
    ret(e, RET_ALLOW);
    block_end(e, b);

    /* Syscalls newer than this list: refuse softly so new runtimes fall back instead of dying. */
    emit(e, BPF_JMP | BPF_JGE | BPF_K, FIRST_UNKNOWN_NR, 0, 1);
    ret(e, RET_ERRNO(ENOSYS));
    ret(e, RET_ALLOW);
}

int sbx_seccomp_build(enum sbx_profile profile, struct sock_filter **out, unsigned short *len)
{
    struct emitter e = {0};
    *out = NULL;
    *len = 0;
    switch(profile) {
    case SBX_PROFILE_DEFAULT:
        build_default(&e);
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
