/* zygote_ext.c - the native half of a box's Python zygote: the CPython extension module _jobgate_zygote.
 *
 * zygote.py (the Python half, run with -c by the box's init turned zygote) loads this module from a memfd,
 * preloads the scripts and calls serve(), the fork server. serve() never returns in the zygote. Per fork
 * request from the supervisor (zygote.c), with the run's /box and /tmp (detached tmpfs) and the write end of
 * its status pipe:
 *
 *   zygote     setns(own pid ns) + unshare(NEWPID), fork()          (pid_for_children: the init is pid 1)
 *   `- init    unshare(NEWNS|NEWIPC); /box, /tmp, a fresh /proc;     C only from here on: it touches no Python
 *      |       fork(); wait4 the child, kill and reap the rest;       object, so it copies almost no page
 *      |       write the child's status; _exit
 *      `- child   the first half of its confinement (confine.c, the code of every sandboxed program:
 *                 setsid, no capabilities, the runs' seccomp filter on top of the zygote's); wait for the
 *                 request (cwd, argv, limits; stdin, stdout, stderr, failure fds), take fds 0-2, the second
 *                 half (rlimits, ids, PDEATHSIG, no_new_privs), and return argv to zygote.py, which runs
 *                 the script.
 *
 * The zygote answers each request with the init's pidfd and the socket to the child, which says "r" there
 * once it waits (or the init says why its setup failed). The init is the pid 1 of
 * the run, as for every run: the program is pid 2 with ordinary signal semantics, and the run's namespace dies
 * with it. serve() holds the GIL throughout (the zygote has no other thread), so the children's interpreter
 * state is consistent at every fork (see child_main on PyOS_AfterFork_Child). Everything between fork and
 * the return to Python is plain syscalls. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <malloc.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static struct sbx_identity ident;
static bool cgroup_ns; /* each run's init unshares a cgroup namespace, as a fresh run's does (init.c) */
static struct sock_fprog runs_filter;

/* "E" + struct sbx_failure: why a fork request failed (the zygote carries on). */
static void reply_failure(int sock, const char *step, int err)
{
    char r[1 + sizeof(struct sbx_failure)] = "E";
    struct sbx_failure f = {.err = err};
    strncpy(f.step, step, sizeof f.step - 1);
    memcpy(r + 1, &f, sizeof f);
    if(send(sock, r, sizeof r, MSG_NOSIGNAL) < 0) { /* the supervisor is gone: the next recv says so */
    }
}

/* The failure of an init's setup, or of a child's confinement: the step and errno, then exit. */
static _Noreturn void report_exit(int fd, const char *who, const char *step, int err, int code)
{
    struct sbx_failure f = {.err = err};
    size_t i = 0;
    for(const char *s = who; *s && i < sizeof f.step - 1; s++)
        f.step[i++] = *s;
    for(const char *s = step ? step : "?"; *s && i < sizeof f.step - 1; s++)
        f.step[i++] = *s;
    if(write(fd, &f, sizeof f) != sizeof f) { /* nobody to tell */
    }
    _exit(code);
}

/* The child: get ready (Python's fork hooks, the half of the confinement that needs no run), wait for the
 * run, take its descriptors, finish confining, hand the script's argv to Python. */
static PyObject *child_main(int sock)
{
    static char buf[SBX_ZYGOTE_JOB_MAX];
    int fds[SBX_FDS_MAX], nfds;
    const char *step;
    /* No PyOS_AfterFork_Child(): its C half re-creates locks and thread states that another thread might
     * have held or left, and the zygote has no other thread and holds the GIL across the fork, so the copy is
     * already consistent (this is the same pthread, with the same thread state); its Python half - the
     * fork hooks of threading, logging, random - touches ~250 pages that the copy-on-write then copies,
     * half a millisecond and more per run. What of it matters is done in zygote.py (_after_fork). */
    int rc = sbx_confine_early(&ident, &step);
    if(rc)
        report_exit(sock, "zygote child: ", step, -rc, 127);
    /* Ready: the supervisor waits for this before it counts the run, so the setup is never in it. */
    if(send(sock, "r", 1, MSG_NOSIGNAL) != 1)
        _exit(0);
    int n = sbx_recv_fds(sock, buf, sizeof buf, fds, &nfds);
    if(n < 0)
        _exit(0); /* discarded before it had a run */
    struct sbx_zygote_job h;
    step = "request";
    if((size_t)n < sizeof h || nfds != 4)
        report_exit(sock, "zygote child: ", step, EBADMSG, 127);
    memcpy(&h, buf, sizeof h);
    if(h.size != (uint32_t)n || h.argc < 1 || buf[n - 1] != '\0')
        report_exit(sock, "zygote child: ", step, EBADMSG, 127);
    /* Lift the descriptors above 10 first so that the dup2s cannot clobber one another. */
    step = "fds";
    int in = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), out = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    int err = fcntl(fds[2], F_DUPFD_CLOEXEC, 10), rep = fcntl(fds[3], F_DUPFD_CLOEXEC, 10);
    if(in < 0 || out < 0 || err < 0 || rep < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
       dup3(rep, 3, O_CLOEXEC) < 0)
        report_exit(fds[3], "zygote child: ", step, errno, 127);
    close_range(4, ~0u, 0); /* the socket too: nothing of the zygote is left */
    const char *cwd = buf + sizeof h;
    const char *args = cwd + strlen(cwd) + 1;
    if((rc = sbx_confine_rest(&ident, &h.lim, cwd, &step)))
        report_exit(3, "zygote child: ", step, -rc, 127);
    /* A program is dumpable after its execve (its /proc/self is its own); the id change cleared it here. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    close(3); /* the failure pipe: nothing the job writes may look like a report */

    PyObject *argv = PyTuple_New(h.argc);
    for(uint32_t i = 0; argv && i < h.argc; i++, args += strlen(args) + 1) {
        if(args >= buf + n) {
            Py_DECREF(argv);
            PyErr_SetString(PyExc_ValueError, "zygote: argv shorter than announced");
            return NULL;
        }
        PyObject *s = PyUnicode_DecodeFSDefault(args);
        if(!s) {
            Py_DECREF(argv);
            return NULL;
        }
        PyTuple_SET_ITEM(argv, i, s);
    }
    return argv;
}

/* The run's init shares the zygote's memory (CLONE_VM | CLONE_VFORK): the zygote sleeps until the init has
 * exited, and the init copies no page table and tears none down; only the program, forked by the init, gets
 * a copy of the zygote's memory. The init runs on this stack, touches no Python object and no libc state but
 * errno (the zygote's, which it does not read after the clone), and resets the signal handlers it shares
 * the code of. The program, whose memory is a copy, jumps back onto its copy of the zygote's stack, into
 * fork_child(), and returns to Python from there as the zygote's own fork did. */
#if defined(__x86_64__)
#define INIT_STACK_SIZE (64 * 1024)
static char init_stack[INIT_STACK_SIZE] __attribute__((aligned(64)));
#endif
static jmp_buf back_in_child; /* set by fork_child() before each clone: where the program resumes */
static int child_sock = -1;   /* the program's socket, for child_main() after the jump */
/* The zygote's signal handlers that are functions (Python's SIGINT, a preload's): the init runs without
 * them, the program gets them back, with the zygote's signal mask, as a fork of the zygote would have. */
static int handled[NSIG];
static struct sigaction handler_of[NSIG];
static int nhandled;
static sigset_t zygote_mask;

struct init_args {
    int ctl;                   /* the zygote's control socket: the init sends "K" there itself */
    int boxfs, tmpfs, status;  /* the run's /box and /tmp (detached tmpfs), and its status pipe */
    int sock, peer;            /* the init's and the supervisor's ends of the socket to the program */
};

/* Set by the init once it has said "K"; the zygote reads it when the init has exited. A shared page, so
 * that an init that does not share our memory (the fallback of clone_init) can set it too. */
static volatile int *init_replied;

/* Once, before the first fork: which handlers the init must drop and the program must get back. */
static void save_handlers(void)
{
    nhandled = 0;
    for(int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if(sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
            continue;
        bool function = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != NULL
                                                  : sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
        if(function) {
            handled[nhandled++] = sig;
            handler_of[sig] = sa;
        }
    }
}

/* The run's init, pid 1 of its pid namespace: tell the supervisor, take its own mount and IPC namespaces with
 * the run's /box, /tmp and /proc, then fork the program; reap it and report its status. */
static int init_entry(void *arg)
{
    struct init_args *a = arg; /* in fork_child()'s frame: the zygote sleeps until we exit */
    int boxfs = a->boxfs, tmpfs = a->tmpfs, status = a->status, sock = a->sock;
    const char *step;
    /* Python's handlers run in the zygote's memory, which is ours: not in the init. Signals were blocked
     * across the clone; the init takes them unblocked, as the program does. */
    for(int i = 0; i < nhandled; i++)
        signal(handled[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Our pidfd (we are pid 1 here) and the supervisor's end of the program's socket. */
    int self = (int)syscall(SYS_pidfd_open, 1, 0);
    const int reply[2] = {self, a->peer};
    if(self < 0 || sbx_send_fds(a->ctl, "K", 1, reply, 2) < 0)
        _exit(121); /* the supervisor is gone, or we cannot be watched: no run (the zygote says why) */
    *init_replied = 1;
    step = "fds";
    const int keep[] = {0, 1, 2, boxfs, tmpfs, status, sock};
    sbx_close_all_except(keep, sizeof keep / sizeof keep[0]);
    /* The zygote may be out of the OOM killer's reach; a run must not be. Raising needs no privilege. */
    int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if(adj >= 0) {
        if(write(adj, "0", 1) < 0) { /* already 0 */
        }
        close(adj);
    }
    step = "pdeathsig";
    if(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        goto fail;
    step = "unshare";
    if(unshare(CLONE_NEWNS | CLONE_NEWIPC | (cgroup_ns ? CLONE_NEWCGROUP : 0)) < 0)
        goto fail;
    /* The zygote's own (empty) /box and /tmp and its /proc go; the run's come in their place. */
    umount2("/box", MNT_DETACH);
    umount2("/tmp", MNT_DETACH);
    umount2("/proc", MNT_DETACH);
    int rc = sbx_attach_run_mounts(boxfs, tmpfs, &step);
    if(rc < 0) {
        errno = -rc;
        goto fail;
    }
    step = "fork";
    /* _Fork: no atfork handlers (they are the zygote's, and its memory is ours). */
    pid_t pid = _Fork();
    if(pid == 0) {
        close(status);
        for(int i = 0; i < nhandled; i++)
            sigaction(handled[i], &handler_of[handled[i]], NULL);
        sigprocmask(SIG_SETMASK, &zygote_mask, NULL);
        child_sock = sock;
        longjmp(back_in_child, 1);
    }
    if(pid < 0)
        goto fail;
    close(sock);
    struct sbx_init_status st = {0};
    while(wait4(pid, &st.status, 0, &st.ru) < 0)
        if(errno != EINTR)
            _exit(124);
    /* The supervisor takes the report for the end of the run, so the run ends first: whatever the program
     * left in the namespace is killed (from its pid 1, kill(-1) reaches all of it but us) and reaped (orphans
     * are ours). Our own exit and the namespaces' teardown then happen while the result is handled. */
    if(kill(-1, SIGKILL) < 0 && errno != ESRCH)
        _exit(125); /* cannot: the supervisor waits for our death instead, which takes them all */
    while(wait4(-1, NULL, __WALL, NULL) > 0 || errno == EINTR)
        ;
    if(write(status, &st, sizeof st) != sizeof st)
        _exit(123);
    _exit(0);
fail:
    report_exit(sock, "zygote init: ", step, errno, 122);
}

#if defined(__x86_64__)
/* clone3 onto a stack of our own, fn(arg) in the child (glibc has no clone3 wrapper that takes a function):
 * the child starts on the new stack right after the syscall instruction, with fn and arg in the registers
 * the syscall preserves. fn never returns here; if it did, the child exits with its value. */
static pid_t clone3_run(struct clone_args *ca, int (*fn)(void *), void *arg)
{
    long ret;
    __asm__ volatile("mov %[fn], %%r12\n\t"
                     "mov %[arg], %%r13\n\t"
                     "syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "mov %%r13, %%rdi\n\t"
                     "call *%%r12\n\t"
                     "mov %%eax, %%edi\n\t"
                     "mov $60, %%eax\n\t" /* SYS_exit */
                     "syscall\n\t"
                     "hlt\n"
                     "1:"
                     : "=a"(ret)
                     : "a"((long)SYS_clone3), "D"(ca), "S"(sizeof *ca), [fn] "r"(fn), [arg] "r"(arg)
                     : "rcx", "r11", "r12", "r13", "memory", "cc");
    if(ret < 0) {
        errno = (int)-ret;
        return -1;
    }
    return (pid_t)ret;
}
#endif

/* The init: clone3 CLONE_VM | CLONE_VFORK [| CLONE_INTO_CGROUP (v2: the run's own cgroup, made by the
 * supervisor)]. Returns in the zygote once the init has exited (or failed to start). */
static pid_t clone_init(int cgroup, struct init_args *a)
{
    struct clone_args ca = {.flags = CLONE_VFORK, .exit_signal = SIGCHLD};
    if(cgroup >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t)cgroup;
    }
#if defined(__x86_64__)
    ca.flags |= CLONE_VM;
    ca.stack = (uint64_t)(uintptr_t)init_stack;
    ca.stack_size = sizeof init_stack;
    return clone3_run(&ca, init_entry, a);
#else
    /* Without a trampoline for this architecture: the init gets a copy of our memory, as a fork would. */
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if(pid == 0)
        _exit(init_entry(a));
    return pid;
#endif
}

/* One fork request: the run's init in a fresh pid namespace. Returns Py_None in the zygote (carry on), or
 * the child's argv (or NULL with a Python error) in the child. fds: /box, /tmp, status, [run cgroup]. */
static PyObject *fork_child(int ctl, int pidns, const int *fds, int nfds)
{
    int sv[2];
    if(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        reply_failure(ctl, "socketpair", errno);
        return Py_None;
    }
    /* setns back to our own pid namespace resets where children go; unshare makes a fresh one for the next. */
    if(setns(pidns, CLONE_NEWPID) < 0 || unshare(CLONE_NEWPID) < 0) {
        reply_failure(ctl, "pid namespace", errno);
        goto out;
    }
    struct init_args a = {.ctl = ctl, .boxfs = fds[0], .tmpfs = fds[1], .status = fds[2], .sock = sv[1],
                          .peer = sv[0]};
    *init_replied = 0;
    /* No signal between the clone and the init's reset of the handlers; ours come back after it. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &zygote_mask);
    if(setjmp(back_in_child)) /* the program, on its copy of our stack */
        return child_main(child_sock);
    pid_t pid = clone_init(nfds > 3 ? fds[3] : -1, &a);
    int err = errno;
    sigprocmask(SIG_SETMASK, &zygote_mask, NULL);
    /* Here the init has exited: its run is over, or it failed. It said "K" itself, unless it could not. */
    if(pid < 0)
        reply_failure(ctl, "clone", err);
    else if(!*init_replied)
        reply_failure(ctl, "init", ECHILD);
out:
    close(sv[0]);
    close(sv[1]);
    return Py_None;
}

static PyObject *serve(PyObject *self, PyObject *args)
{
    (void)self;
    int ctl;
    Py_buffer hello;
    if(!PyArg_ParseTuple(args, "iy*", &ctl, &hello))
        return NULL;
    struct sbx_zygote_hello h;
    if((size_t)hello.len < sizeof h) {
        PyBuffer_Release(&hello);
        return PyErr_Format(PyExc_ValueError, "zygote: short hello");
    }
    memcpy(&h, hello.buf, sizeof h);
    size_t flen = (size_t)h.filter_len * sizeof(struct sock_filter);
    if(h.magic != SBX_ZYGOTE_MAGIC || h.filter_len == 0 || h.filter_len > 4096 || sizeof h + flen > (size_t)hello.len) {
        PyBuffer_Release(&hello);
        return PyErr_Format(PyExc_ValueError, "zygote: bad hello");
    }
    struct sock_filter *filter = malloc(flen);
    if(!filter) {
        PyBuffer_Release(&hello);
        return PyErr_NoMemory();
    }
    memcpy(filter, (const char *)hello.buf + sizeof h, flen);
    PyBuffer_Release(&hello);
    runs_filter = (struct sock_fprog){.len = (unsigned short)h.filter_len, .filter = filter};
    ident = (struct sbx_identity){.uid = h.uid, .gid = h.gid, .cap_last = h.cap_last, .filter = &runs_filter};
    cgroup_ns = (h.flags & SBX_ZYGOTE_CGROUP_NS) != 0;

    /* Nothing outside (another root process) may read the zygote's memory; it dies with its supervisor. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    malloc_trim(0); /* every page the zygote holds is copied into two page tables per run */
    save_handlers();
    void *page = mmap(NULL, sizeof *init_replied, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if(page == MAP_FAILED)
        return PyErr_SetFromErrno(PyExc_OSError);
    init_replied = page;
    int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if(pidns < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, "/proc/self/ns/pid");
    if(send(ctl, "R", 1, MSG_NOSIGNAL) != 1)
        _exit(1);
    for(;;) {
        char msg[8];
        int fds[SBX_FDS_MAX], nfds;
        int n = sbx_recv_fds(ctl, msg, sizeof msg, fds, &nfds);
        if(n < 0)
            _exit(n == -ECONNRESET ? 0 : 1); /* the supervisor is gone, or closed the box */
        while(waitpid(-1, NULL, WNOHANG) > 0) /* the inits of finished runs */
            ;
        PyObject *r = Py_None;
        if(n == 1 && msg[0] == 'F' && (nfds == 3 || nfds == 4))
            r = fork_child(ctl, pidns, fds, nfds);
        else
            reply_failure(ctl, "bad request", EBADMSG);
        if(r != Py_None)
            return r; /* in the child */
        for(int i = 0; i < nfds; i++)
            close(fds[i]);
    }
}

static PyMethodDef methods[] = {
    {"serve", serve, METH_VARARGS,
     "serve(ctl_fd, hello) -> argv: the zygote's fork server; returns only in a run's confined child."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_jobgate_zygote", NULL, -1, methods, NULL, NULL, NULL,
                                    NULL};

PyMODINIT_FUNC PyInit__jobgate_zygote(void);
PyMODINIT_FUNC PyInit__jobgate_zygote(void)
{
    return PyModule_Create(&module);
}
