/* test_zygote - Check suite of the Python zygote (sbx_zygote_*; needs root, exits 77 without it).
 *
 * What a run through the zygote must share with a run of a fresh interpreter (everything observable: ids,
 * capabilities, filter, limits, namespaces, files, verdicts, outputs), and what it must not share with the
 * zygote or with the runs before it (processes, files, memory, interpreter state). The hostile programs
 * run through the zygote too (hostile_runner ... zygote). */
#include "sandbox.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIRST_UID 61000
#define BOX 20 /* test_sandbox has boxes 10 and 11: both may run at once */

static struct sbx_ctx *ctx;
static struct sbx_box *box;
static const char *const py_flags[] = {"/usr/bin/python3", "-I", "-B", NULL};
static const char *const env[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL};

static void start_zygote(unsigned max_runs)
{
    char err[512];
    struct sbx_zygote_config zc = {.argv = py_flags, .envp = env, .max_runs = max_runs};
    int rc = sbx_zygote_start(box, &zc, err, sizeof err);
    ck_assert_msg(rc == 0, "zygote: %s (%s)", err, strerror(-rc));
    ck_assert_int_gt(sbx_zygote_pid(box), 0);
}

static void setup(void)
{
    char err[512];
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = "jobgate-sbx-test"};
    int rc = sbx_ctx_init(&ctx, &cfg, err, sizeof err);
    ck_assert_msg(rc == 0, "ctx: %s", err);
    rc = sbx_box_init(ctx, BOX, &box, err, sizeof err);
    ck_assert_msg(rc == 0, "box: %s", err);
    start_zygote(0);
}

static void teardown(void)
{
    sbx_box_close(box);
    sbx_ctx_close(ctx);
    box = NULL;
    ctx = NULL;
}

/* Run src as /box/t.py with `python3 -I -B t.py`: through the zygote, or a fresh interpreter. A zygote run
 * must be taken by the zygote. Extra files go in too (data[i] as name[i]). */
static int py_files(struct sbx_result *res, const char *src, const struct sbx_limits *lim, bool zygote,
                    const struct sbx_file_in *extra, size_t nextra)
{
    const char *argv[] = {"/usr/bin/python3", "-I", "-B", "t.py", NULL};
    struct sbx_file_in in[4] = {{.name = "t.py", .data = src, .len = strlen(src), .fd = -1}};
    for(size_t i = 0; i < nextra && i < 3; i++)
        in[1 + i] = extra[i];
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1, .files_in = in, .nfiles_in = 1 + nextra};
    if(lim)
        run.limits = *lim;
    if(!zygote)
        return sbx_run(box, &run, res);
    ck_assert(sbx_zygote_accepts(box, &run));
    int rc = sbx_zygote_run(box, &run, res);
    ck_assert_msg(rc != -ENOTSUP, "the zygote did not take the run: %s", res->message);
    return rc;
}

static int py(struct sbx_result *res, const char *src, const struct sbx_limits *lim, bool zygote)
{
    return py_files(res, src, lim, zygote, NULL, 0);
}

#define ASSERT_VERDICT(res, v)                                                                             \
    ck_assert_msg((res).verdict == (v), "verdict %s (%s), stderr: %s", sbx_verdict_name((res).verdict),   \
                  (res).message, (res).err.data)

/* Everything a job can see of its process and its box, printed; "Seccomp_filters" aside (the zygote's child
 * has the zygote's filter below the run's), a zygote run and a fresh interpreter must print the same. */
static const char facts_py[] =
    "import os, sys\n"
    "print(os.getpid(), os.getppid(), os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups())\n"
    "for line in open('/proc/self/status'):\n"
    "    if line.split(':')[0] in ('Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb',\n"
    "                              'NoNewPrivs', 'Seccomp', 'SigIgn', 'SigBlk', 'SigCgt', 'NSpid', 'NSsid'):\n"
    "        print(line, end='')\n"
    "import signal\n"
    "print([signal.getsignal(s) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)])\n"
    "print(open('/proc/self/limits').read())\n"
    "print(sorted(p for p in os.listdir('/proc') if p.isdigit()), os.stat('/proc/self').st_uid)\n"
    "for line in open('/proc/self/mountinfo'):\n"
    "    f = line.split()\n"
    "    print(f[4], f[5], f[f.index('-') + 1:])\n"
    "print(os.uname().nodename, os.getcwd(), sorted(os.listdir('/box')), sorted(os.listdir('/tmp')))\n"
    "print(oct(os.umask(0o22)), sorted(os.listdir('/dev')), os.sched_getaffinity(0))\n"
    "print(sys.argv, sys.orig_argv, __file__, __name__, __loader__.__class__.__name__, __spec__)\n"
    "print(sys.path, sys.flags, sorted(os.environ.items()), sys.executable)\n"
    "print(sorted(k for k in globals()))\n";

START_TEST(test_zygote_run_is_a_fresh_interpreter_run)
{
    struct sbx_result fresh, warm;
    ck_assert_int_eq(py(&fresh, facts_py, NULL, false), 0);
    ASSERT_VERDICT(fresh, SBX_OK);
    ck_assert_int_eq(py(&warm, facts_py, NULL, true), 0);
    ASSERT_VERDICT(warm, SBX_OK);
    ck_assert_str_eq(warm.err.data, "");
    ck_assert_msg(strcmp(fresh.out.data, warm.out.data) == 0, "fresh:\n%s\nzygote:\n%s", fresh.out.data,
                  warm.out.data);
    /* And what that is: pid 2 under the run's init, the box uid, no capabilities, no_new_privs, seccomp. */
    char want[128];
    snprintf(want, sizeof want, "2 1 %d %d %d %d []\n", FIRST_UID + BOX, FIRST_UID + BOX, FIRST_UID + BOX,
             FIRST_UID + BOX);
    ck_assert_msg(strncmp(warm.out.data, want, strlen(want)) == 0, "%s", warm.out.data);
    ck_assert(strstr(warm.out.data, "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"));
    ck_assert(strstr(warm.out.data, "NoNewPrivs:\t1\nSeccomp:\t2\n"));
    ck_assert_msg(strstr(warm.out.data, "\n['2'] "), "%s", warm.out.data); /* the init (pid 1) is hidden */
    sbx_result_free(&fresh);
    sbx_result_free(&warm);
}
END_TEST

/* Outcomes other than OK: the same verdict, exit code or signal, and output as a fresh interpreter's. */
START_TEST(test_zygote_outcomes_as_fresh)
{
    static const struct {
        const char *src;
        enum sbx_verdict verdict;
        int exit_code, signal;
    } cases[] = {
        {"print('out'); import sys; print('err', file=sys.stderr)", SBX_OK, 0, 0},
        {"def f():\n    raise ValueError('boom')\nf()\n", SBX_RE_EXIT, 1, 0},
        {"raise SystemExit(3)", SBX_RE_EXIT, 3, 0},
        {"raise SystemExit('a message')", SBX_RE_EXIT, 1, 0},
        {"import sys; sys.exit()", SBX_OK, 0, 0},
        {"import os; os._exit(7)", SBX_RE_EXIT, 7, 0},
        {"import os, signal; os.kill(os.getpid(), signal.SIGKILL)", SBX_RE_SIGNAL, -1, SIGKILL},
        {"import os, signal; os.kill(os.getpid(), signal.SIGTERM)", SBX_RE_SIGNAL, -1, SIGTERM},
        {"import os; os.abort()", SBX_RE_SIGNAL, -1, SIGABRT},
        {"import ctypes; ctypes.string_at(0)", SBX_RE_SIGNAL, -1, SIGSEGV},
        {"x = (", SBX_RE_EXIT, 1, 0},
        {"import atexit; atexit.register(print, 'at exit')\nprint('main')", SBX_OK, 0, 0},
        {"import threading, time\nthreading.Thread(target=lambda: (time.sleep(0.2), print('thread'))).start()\n",
         SBX_OK, 0, 0},
        /* Python's signal handlers, as the zygote had them: KeyboardInterrupt (then death by SIGINT, as
         * python3 does), and EPIPE rather than SIGPIPE. */
        {"import os, signal; os.kill(os.getpid(), signal.SIGINT)", SBX_RE_SIGNAL, -1, SIGINT},
        {"import os\nr, w = os.pipe()\nos.close(r)\ntry:\n    os.write(w, b'x')\nexcept BrokenPipeError:\n"
         "    print('EPIPE')\n", SBX_OK, 0, 0},
        {"import ctypes; ctypes.CDLL(None).unshare(0x20000000)", SBX_SYS, -1, SIGSYS},
        {"import ctypes; ctypes.CDLL(None).mount(b'x', b'/box', b'tmpfs', 0, None)", SBX_SYS, -1, SIGSYS},
    };
    for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sbx_result fresh, warm;
        ck_assert_int_eq(py(&fresh, cases[i].src, NULL, false), 0);
        ck_assert_int_eq(py(&warm, cases[i].src, NULL, true), 0);
        ck_assert_msg(warm.verdict == cases[i].verdict && fresh.verdict == cases[i].verdict,
                      "case %zu: zygote %s, fresh %s (%s)", i, sbx_verdict_name(warm.verdict),
                      sbx_verdict_name(fresh.verdict), warm.err.data);
        ck_assert_int_eq(warm.signal, cases[i].signal);
        if(!cases[i].signal)
            ck_assert_int_eq(warm.exit_code, cases[i].exit_code);
        ck_assert_int_eq(warm.signal, fresh.signal);
        ck_assert_int_eq(warm.exit_code, fresh.exit_code);
        ck_assert_msg(!strcmp(warm.out.data, fresh.out.data) && !strcmp(warm.err.data, fresh.err.data),
                      "case %zu:\nzygote out %s err %s\nfresh out %s err %s", i, warm.out.data, warm.err.data,
                      fresh.out.data, fresh.err.data);
        sbx_result_free(&fresh);
        sbx_result_free(&warm);
    }
}
END_TEST

START_TEST(test_zygote_limits_hold)
{
    struct sbx_result res;
    pid_t z = sbx_zygote_pid(box);
    struct sbx_limits mem = {.memory_kb = 64 * 1024, .wall_ms = 20000};
    ck_assert_int_eq(py(&res, "a = bytearray(200 << 20)", &mem, true), 0);
    ASSERT_VERDICT(res, SBX_MLE);
    sbx_result_free(&res);
    /* Below it: the peak is the run's own, not the zygote's (which is not charged to it). */
    ck_assert_int_eq(py(&res, "a = bytearray(20 << 20); a[::4096] = b'x' * len(a[::4096])", &mem, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    ck_assert_uint_ge(res.memory_kb, 20 * 1024);
    ck_assert_uint_lt(res.memory_kb, 40 * 1024);
    ck_assert_str_eq(res.memory_source, "cgroup-v1");
    sbx_result_free(&res);

    struct sbx_limits cpu = {.cpu_ms = 300, .wall_ms = 5000};
    ck_assert_int_eq(py(&res, "while True: pass", &cpu, true), 0);
    ASSERT_VERDICT(res, SBX_TLE_CPU);
    ck_assert_uint_ge(res.cpu_ms, 300);
    ck_assert_uint_lt(res.cpu_ms, 1500);
    sbx_result_free(&res);
    ck_assert_int_eq(py(&res, "import threading\n"
                              "for _ in range(4): threading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()",
                        &cpu, true),
                     0);
    ASSERT_VERDICT(res, SBX_TLE_CPU);
    sbx_result_free(&res);

    struct sbx_limits wall = {.cpu_ms = 5000, .wall_ms = 300};
    ck_assert_int_eq(py(&res, "import time; time.sleep(10)", &wall, true), 0);
    ASSERT_VERDICT(res, SBX_TLE_WALL);
    ck_assert_uint_lt(res.wall_ms, 2000);
    sbx_result_free(&res);

    struct sbx_limits out = {.output_bytes = 65536};
    ck_assert_int_eq(py(&res, "import sys\nwhile True: sys.stdout.write('x' * 4096)", &out, true), 0);
    ASSERT_VERDICT(res, SBX_OLE);
    ck_assert(res.out.truncated);
    ck_assert_uint_eq(res.out.len, 65536);
    sbx_result_free(&res);

    struct sbx_limits fsize = {.file_size_bytes = 1 << 20};
    ck_assert_int_eq(py(&res, "open('/tmp/f', 'wb').write(b'x' * (2 << 20))", &fsize, true), 0);
    ck_assert_msg(res.verdict == SBX_RE_EXIT && strstr(res.err.data, "File too large"), "%s %s",
                  sbx_verdict_name(res.verdict), res.err.data); /* Python ignores SIGXFSZ: EFBIG */
    sbx_result_free(&res);

    /* Processes: the program and 4 more, as for a fresh interpreter (threads count too). */
    static const char forks[] = "import os, time\n"
                                "n = 0\n"
                                "try:\n"
                                "    while n < 20:\n"
                                "        if os.fork() == 0:\n"
                                "            time.sleep(5); os._exit(0)\n"
                                "        n += 1\n"
                                "except OSError as e:\n"
                                "    print(n, e.errno)\n";
    struct sbx_limits procs = {.processes = 5};
    struct sbx_result fresh;
    ck_assert_int_eq(py(&res, forks, &procs, true), 0);
    ck_assert_int_eq(py(&fresh, forks, &procs, false), 0);
    ASSERT_VERDICT(res, SBX_OK);
    ck_assert_str_eq(res.out.data, "4 11\n");
    ck_assert_str_eq(fresh.out.data, res.out.data);
    sbx_result_free(&res);
    sbx_result_free(&fresh);

    /* None of it touched the zygote. */
    ck_assert_int_eq(sbx_zygote_pid(box), z);
    ck_assert_int_eq(kill(z, 0), 0);
}
END_TEST

/* Read the zygote's memory from outside (we are root) and look for needle in every readable mapping. */
static int zygote_memory_has(pid_t pid, const char *needle)
{
    char path[64], line[512];
    int found = 0, readable = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *maps = fopen(path, "re");
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int mem = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(maps && mem >= 0, "cannot read the zygote's memory: %s", strerror(errno));
    size_t nlen = strlen(needle);
    while(fgets(line, sizeof line, maps) && !found) {
        unsigned long lo, hi;
        char perms[8];
        if(sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' || strstr(line, "[vvar"))
            continue;
        size_t len = hi - lo;
        char *buf = malloc(len);
        ssize_t n = buf ? pread(mem, buf, len, (off_t)lo) : -1;
        if(n > 0) {
            readable++;
            found = memmem(buf, (size_t)n, needle, nlen) != NULL;
        }
        free(buf);
    }
    fclose(maps);
    close(mem);
    ck_assert_int_gt(readable, 0);
    return found;
}

/* The zygote never holds a run's data: it forks before the payload arrives and never reads it. */
START_TEST(test_zygote_never_holds_a_run)
{
    struct sbx_result res;
    char marker[64], src[512];
    snprintf(marker, sizeof marker, "jobgate-payload-%d-%ld-%ld", (int)getpid(), random(), random());
    struct sbx_file_in payload = {.name = "payload.bin", .data = marker, .len = strlen(marker), .fd = -1};
    snprintf(src, sizeof src,
             "import sys, builtins\n"
             "data = open('payload.bin').read()\n"
             "sys.modules['leak'] = builtins.leak = [data * 2]\n" /* kept in what the zygote would share */
             "print(len(data))\n");
    ck_assert_int_eq(py_files(&res, src, NULL, true, &payload, 1), 0);
    ASSERT_VERDICT(res, SBX_OK);
    sbx_result_free(&res);
    /* The scan works: the zygote's own code is in its memory. */
    ck_assert(zygote_memory_has(sbx_zygote_pid(box), "jobgate zygote, the Python half"));
    ck_assert(!zygote_memory_has(sbx_zygote_pid(box), marker));
    /* Nor does the next run see it. */
    ck_assert_int_eq(py(&res, "import sys, builtins\nprint('leak' in sys.modules, hasattr(builtins, 'leak'))\n",
                        NULL, true),
                     0);
    ck_assert_str_eq(res.out.data, "False False\n");
    sbx_result_free(&res);
}
END_TEST

/* A run leaves nothing for the next: files, processes, interpreter state, sockets; fresh random state. */
START_TEST(test_zygote_runs_share_nothing)
{
    struct sbx_result res;
    static const char first[] =
        "import os, sys, json, socket, random, time\n"
        "for p in ('/box/left', '/tmp/left', '/dev/shm/left'): open(p, 'w').write('x')\n"
        "json.dumps = None; os.path.join = None; os.environ['LEFT'] = '1'; sys.path.insert(0, '/tmp')\n"
        "s = socket.socket(socket.AF_UNIX); s.bind('\\0jobgate-left'); s.listen()\n"
        "if os.fork() == 0:\n" /* a daemon that would keep the socket and a process */
        "    os.setsid()\n"
        "    if os.fork() == 0: time.sleep(30)\n"
        "    os._exit(0)\n"
        "print(random.random(), os.urandom(8).hex())\n";
    static const char second[] =
        "import os, sys, json, socket, random\n"
        "print([os.path.exists(p) for p in ('/box/left', '/tmp/left', '/dev/shm/left')])\n"
        "print(json.dumps(1), os.path.join('a', 'b'), 'LEFT' in os.environ, '/tmp' in sys.path)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        "    s.connect('\\0jobgate-left'); print('connected')\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)\n"
        "print(sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
        "print(random.random(), os.urandom(8).hex())\n";
    ck_assert_int_eq(py(&res, first, NULL, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    char *r1 = strdup(res.out.data);
    sbx_result_free(&res);
    ck_assert_int_eq(py(&res, second, NULL, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    ck_assert_msg(strncmp(res.out.data, "[False, False, False]\n1 a/b False False\nrefused 111\n['2']\n", 57) == 0,
                  "%s", res.out.data);
    const char *r2 = strrchr(res.out.data, '\n');
    while(r2 > res.out.data && r2[-1] != '\n')
        r2--;
    ck_assert_msg(strcmp(r1, r2) != 0, "the same random state twice: %s", r1); /* reseeded per fork */
    free(r1);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_zygote_replaced_when_killed)
{
    struct sbx_result res;
    pid_t z = sbx_zygote_pid(box);
    ck_assert_int_eq(kill(z, SIGKILL), 0);
    usleep(50000);
    ck_assert_int_eq(py(&res, "print('after')", NULL, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    ck_assert_str_eq(res.out.data, "after\n");
    sbx_result_free(&res);
    pid_t z2 = sbx_zygote_pid(box);
    ck_assert_int_gt(z2, 0);
    ck_assert_int_ne(z2, z);
    ck_assert_int_eq(kill(z2, 0), 0);
}
END_TEST

static void *kill_later(void *arg)
{
    usleep(300000);
    kill(*(pid_t *)arg, SIGKILL);
    return NULL;
}

/* The zygote killed while a run is under way: that run ends (its namespaces die with the zygote's), and the
 * next one gets a new zygote. */
START_TEST(test_zygote_killed_during_a_run)
{
    struct sbx_result res;
    pthread_t t;
    pid_t z = sbx_zygote_pid(box);
    struct sbx_limits lim = {.cpu_ms = 5000, .wall_ms = 10000};
    ck_assert_int_eq(pthread_create(&t, NULL, kill_later, &z), 0);
    py(&res, "import time; time.sleep(5)", &lim, true);
    pthread_join(t, NULL);
    ck_assert_msg(res.verdict != SBX_OK && res.wall_ms < 4000, "%s after %llu ms", sbx_verdict_name(res.verdict),
                  (unsigned long long)res.wall_ms);
    sbx_result_free(&res);
    ck_assert_int_eq(py(&res, "print('next')", NULL, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    ck_assert_int_ne(sbx_zygote_pid(box), z);
    sbx_result_free(&res);
}
END_TEST

START_TEST(test_zygote_recycled_after_max_runs)
{
    struct sbx_result res;
    sbx_zygote_stop(box);
    start_zygote(3);
    pid_t z = sbx_zygote_pid(box);
    for(int i = 0; i < 3; i++) {
        ck_assert_int_eq(py(&res, "pass", NULL, true), 0);
        ASSERT_VERDICT(res, SBX_OK);
        sbx_result_free(&res);
    }
    ck_assert_int_eq(py(&res, "pass", NULL, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    sbx_result_free(&res);
    ck_assert_int_ne(sbx_zygote_pid(box), z);
}
END_TEST

/* A preloaded script: its top level ran once in the zygote (imports, definitions, constants), as __main__;
 * each run executes its main block only, in its own copy of that module, with its own random state. */
START_TEST(test_zygote_preloads)
{
    static const char script[] = "import random, sys\n"
                                 "RUNS = []\n"
                                 "def main():\n"
                                 "    RUNS.append(1)\n"
                                 "    print(__name__, len(RUNS), main.__module__, sys.modules['__main__'].__file__,\n"
                                 "          random.random())\n"
                                 "    if sys.argv[1:] == ['fail']:\n"
                                 "        raise RuntimeError('from main')\n"
                                 "if __name__ == '__main__':\n"
                                 "    main()\n";
    struct sbx_result res;
    char first[256] = "";
    sbx_zygote_stop(box);
    struct sbx_file_in preload = {.name = "/box/t.py", .data = script, .len = strlen(script), .fd = -1};
    struct sbx_zygote_config zc = {.argv = py_flags, .envp = env, .preload = &preload, .npreload = 1};
    char err[512];
    ck_assert_msg(sbx_zygote_start(box, &zc, err, sizeof err) == 0, "%s", err);
    for(int i = 0; i < 2; i++) {
        ck_assert_int_eq(py(&res, script, NULL, true), 0);
        ASSERT_VERDICT(res, SBX_OK);
        ck_assert_msg(strncmp(res.out.data, "__main__ 1 __main__ /box/t.py 0.", 32) == 0, "%s", res.out.data);
        ck_assert_str_ne(res.out.data, first); /* random reseeded for each run */
        snprintf(first, sizeof first, "%s", res.out.data);
        sbx_result_free(&res);
    }
    /* Its traceback is the script's, lines and all, as with a fresh interpreter. */
    const char *argv[] = {"/usr/bin/python3", "-I", "-B", "t.py", "fail", NULL};
    struct sbx_file_in in = {.name = "t.py", .data = script, .len = strlen(script), .fd = -1};
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1, .files_in = &in, .nfiles_in = 1};
    struct sbx_result fresh;
    ck_assert_int_eq(sbx_zygote_run(box, &run, &res), 0);
    ck_assert_int_eq(sbx_run(box, &run, &fresh), 0);
    ASSERT_VERDICT(res, SBX_RE_EXIT);
    ck_assert_str_eq(res.err.data, fresh.err.data);
    ck_assert_msg(strstr(res.err.data, "File \"/box/t.py\", line 10, in <module>\n    main()\n"), "%s", res.err.data);
    sbx_result_free(&res);
    sbx_result_free(&fresh);
    /* Another source under the preload's name is compiled and run whole. */
    ck_assert_int_eq(py(&res, "print(__name__, 'other')", NULL, true), 0);
    ck_assert_str_eq(res.out.data, "__main__ other\n");
    sbx_result_free(&res);
}
END_TEST

struct other_box {
    struct sbx_box *box;
    struct sbx_result res;
    int rc;
};

static void *run_in_other_box(void *arg)
{
    struct other_box *o = arg;
    const char *argv[] = {"/usr/bin/python3", "-I", "-B", "t.py", NULL};
    static const char src[] = "import os, time\nopen('/box/mine', 'w').write('x')\ntime.sleep(1.5)\n"
                              "print(os.path.exists('/box/mine'), sorted(os.listdir('/box')))\n";
    struct sbx_file_in in = {.name = "t.py", .data = src, .len = strlen(src), .fd = -1};
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1, .files_in = &in, .nfiles_in = 1};
    o->rc = sbx_zygote_run(o->box, &run, &o->res);
    return NULL;
}

/* Two slots, each with its zygote, running at once: a run of one cannot see, signal or touch the other's
 * run or zygote (another uid, pid namespace and /box). */
START_TEST(test_zygote_other_boxes_unreachable)
{
    char err[512];
    struct other_box o = {0};
    struct sbx_zygote_config zc = {.argv = py_flags, .envp = env};
    ck_assert_msg(sbx_box_init(ctx, BOX + 1, &o.box, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sbx_zygote_start(o.box, &zc, err, sizeof err) == 0, "%s", err);
    pid_t other_zygote = sbx_zygote_pid(o.box);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, run_in_other_box, &o), 0);
    usleep(500000); /* the other run is under way */
    struct sbx_result res;
    ck_assert_int_eq(py(&res, "import os, signal\n"
                              "pids = sorted(p for p in os.listdir('/proc') if p.isdigit())\n"
                              "if os.fork() == 0:\n"
                              "    signal.pause()\n"
                              "os.kill(-1, signal.SIGKILL)\n"
                              "os.wait()\n"
                              "hits = [n for n in range(1, 200) if n != os.getpid() and os.path.exists('/proc/%d' % n)]\n"
                              "print(pids, hits, os.listdir('/box'))\n",
                        NULL, true),
                     0);
    ASSERT_VERDICT(res, SBX_OK);
    ck_assert_str_eq(res.out.data, "['2'] [] ['t.py']\n");
    sbx_result_free(&res);
    pthread_join(t, NULL);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_msg(o.res.verdict == SBX_OK, "%s %s", sbx_verdict_name(o.res.verdict), o.res.message);
    ck_assert_str_eq(o.res.out.data, "True ['mine', 't.py']\n");
    ck_assert_int_eq(sbx_zygote_pid(o.box), other_zygote);
    sbx_result_free(&o.res);
    sbx_box_close(o.box);
}
END_TEST

/* The v2 code path (cgroup_force_v2: CPU accounting and cgroup.kill on this hybrid host): the zygote in its
 * leaf, each run's init cloned into the run's own cgroup. */
START_TEST(test_zygote_cgroup_v2_path)
{
    struct sbx_caps caps;
    char err[512], path[SBX_PATH_MAX + 64], buf[4096];
    sbx_probe(&caps);
    if(!caps.cg_unified[0])
        return; /* no cgroup2 mount here */
    struct sbx_ctx *c2;
    struct sbx_box *b2;
    struct sbx_config cfg = {.first_uid = FIRST_UID, .cgroup_name = "jobgate-sbx-test", .cgroup_force_v2 = true};
    ck_assert_msg(sbx_ctx_init(&c2, &cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sbx_box_init(c2, BOX + 2, &b2, err, sizeof err) == 0, "%s", err);
    struct sbx_zygote_config zc = {.argv = py_flags, .envp = env};
    ck_assert_msg(sbx_zygote_start(b2, &zc, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)sbx_zygote_pid(b2));
    FILE *f = fopen(path, "re");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    snprintf(path, sizeof path, "/jobgate-sbx-test/box%d-zygote/z\n", BOX + 2);
    ck_assert_msg(strstr(buf, path), "%s", buf);

    const char *argv[] = {"/usr/bin/python3", "-I", "-B", "t.py", NULL};
    static const char spin[] = "while True: pass\n";
    struct sbx_file_in in = {.name = "t.py", .data = spin, .len = strlen(spin), .fd = -1};
    struct sbx_run run = {.argv = argv, .envp = env, .stdin_fd = -1, .files_in = &in, .nfiles_in = 1,
                          .limits = {.cpu_ms = 300, .wall_ms = 20000}};
    struct sbx_result res;
    int rc0 = sbx_zygote_run(b2, &run, &res);
    ck_assert_msg(rc0 == 0, "%d %s", rc0, res.message);
    ck_assert_msg(res.verdict == SBX_TLE_CPU, "%s %s", sbx_verdict_name(res.verdict), res.message);
    ck_assert_uint_ge(res.cpu_ms, 300);
    sbx_result_free(&res);
    static const char hello[] = "import os\n"
                                "print(os.getpid(), [l for l in open('/proc/self/cgroup').read().split() if l[:3] == '0::'][0])\n";
    in = (struct sbx_file_in){.name = "t.py", .data = hello, .len = strlen(hello), .fd = -1};
    for(int i = 0; i < 3; i++) {
        int rc = sbx_zygote_run(b2, &run, &res);
        ck_assert_msg(rc == 0, "run %d: %d %s", i, rc, res.message);
        ck_assert_msg(res.verdict == SBX_OK, "%s %s", sbx_verdict_name(res.verdict), res.err.data);
        ck_assert_msg(strncmp(res.out.data, "2 0::/", 6) == 0, "%s", res.out.data); /* its own cgroup ns root */
        sbx_result_free(&res);
    }
    sbx_box_close(b2);
    /* Every run's cgroup is gone (the one made for the next run too, at close). */
    snprintf(path, sizeof path, "%s/jobgate-sbx-test/box%d-zygote", caps.cg_unified, BOX + 2);
    DIR *d = opendir(path);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while((e = readdir(d)))
        ck_assert_msg(e->d_name[0] != 'r', "left behind: %s/%s", path, e->d_name);
    closedir(d);
    sbx_ctx_close(c2);
}
END_TEST

static void *cancel_later(void *arg)
{
    usleep(200000);
    sbx_box_cancel(arg);
    return NULL;
}

START_TEST(test_zygote_cancel)
{
    struct sbx_result res;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, box), 0);
    py(&res, "import time; time.sleep(10)", NULL, true);
    pthread_join(t, NULL);
    ck_assert_int_eq(res.verdict, SBX_INTERNAL);
    ck_assert(res.cancelled);
    sbx_result_free(&res);
    ck_assert_int_eq(py(&res, "print(1)", NULL, true), 0);
    ASSERT_VERDICT(res, SBX_OK);
    sbx_result_free(&res);
}
END_TEST

/* What the zygote does not take: another interpreter or flags, options instead of a script, another
 * environment, binds, the network. */
START_TEST(test_zygote_refuses_other_runs)
{
    struct sbx_result res;
    const char *other[] = {"/usr/bin/python3", "-I", "t.py", NULL};
    const char *option[] = {"/usr/bin/python3", "-I", "-B", "-c", "pass", NULL};
    const char *sh[] = {"/bin/sh", "-c", "true", NULL};
    const char *ok[] = {"/usr/bin/python3", "-I", "-B", "t.py", NULL};
    const char *other_env[] = {"PATH=/bin", NULL};
    struct sbx_bind bind = {.source = "/etc/hostname", .target = "/mnt"};
    struct sbx_run runs[] = {
        {.argv = other, .envp = env}, {.argv = option, .envp = env}, {.argv = sh, .envp = env},
        {.argv = ok, .envp = other_env}, {.argv = ok, .envp = NULL}, {.argv = ok, .envp = env, .binds = &bind, .nbinds = 1},
        {.argv = ok, .envp = env, .network = SBX_NETWORK_HOST},
    };
    for(size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        runs[i].stdin_fd = -1;
        ck_assert_msg(!sbx_zygote_accepts(box, &runs[i]), "run %zu accepted", i);
        ck_assert_int_eq(sbx_zygote_run(box, &runs[i], &res), -ENOTSUP);
        ck_assert_int_eq(res.verdict, SBX_INTERNAL);
        sbx_result_free(&res);
    }
    struct sbx_zygote_config zc = {.argv = py_flags, .envp = env};
    ck_assert_int_eq(sbx_zygote_start(box, &zc, NULL, 0), -EALREADY);
}
END_TEST

int main(void)
{
    if(geteuid() != 0) {
        fprintf(stderr, "SKIP: the sandbox needs root\n");
        return 77;
    }
    Suite *s = suite_create("zygote");
    TCase *tc = tcase_create("zygote");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_zygote_run_is_a_fresh_interpreter_run);
    tcase_add_test(tc, test_zygote_outcomes_as_fresh);
    tcase_add_test(tc, test_zygote_limits_hold);
    tcase_add_test(tc, test_zygote_never_holds_a_run);
    tcase_add_test(tc, test_zygote_runs_share_nothing);
    tcase_add_test(tc, test_zygote_replaced_when_killed);
    tcase_add_test(tc, test_zygote_killed_during_a_run);
    tcase_add_test(tc, test_zygote_recycled_after_max_runs);
    tcase_add_test(tc, test_zygote_cancel);
    tcase_add_test(tc, test_zygote_preloads);
    tcase_add_test(tc, test_zygote_other_boxes_unreachable);
    tcase_add_test(tc, test_zygote_cgroup_v2_path);
    tcase_add_test(tc, test_zygote_refuses_other_runs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
