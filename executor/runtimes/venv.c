/* Cached virtual environments for Python jobs' requirements (see venv.h). The tools (venv, pip) run
 * as children of the executor with a clean environment, output captured (the tail is kept), in their
 * own process group so that a timeout kills all of them. */
#include "venv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "sha256.h"

#define MAX_REQUIREMENTS 1000

/* A package requirement, never an option, a path or a URL: "numpy", "requests>=2,<3", "pkg[extra]".
 * The gateway checks the same; this is the executor's own line, since pip runs outside any box. */
static bool plain_requirement(const char *s)
{
    size_t len = strlen(s);
    if (len < 1 || len > 200 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-[],<>=!~ ", s[i]))
            return false;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The requirement strings, checked, sorted and de-duplicated, in a malloc'd array (the strings
 * belong to @p requirements). Returns the count, or -EINVAL / -ENOMEM. */
static long sorted_requirements(const json_t *requirements, const char ***out)
{
    size_t n = json_array_size(requirements);
    *out = NULL;
    if (!json_is_array(requirements) || n > MAX_REQUIREMENTS)
        return -EINVAL;
    const char **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = json_string_value(json_array_get(requirements, i));
        if (!v[i] || !plain_requirement(v[i])) {
            free(v);
            return -EINVAL;
        }
    }
    qsort(v, n, sizeof *v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
            v[k++] = v[i];
    *out = v;
    return (long)k;
}

static void venv_dir_of(const struct ex_config *cfg, const char *const *reqs, long n, char *dir,
                        size_t dirlen)
{
    struct jg_sha256 h;
    unsigned char digest[JG_SHA256_LEN];
    jg_sha256_init(&h);
    jg_sha256_update(&h, cfg->python, strlen(cfg->python) + 1);
    for (long i = 0; i < n; i++)
        jg_sha256_update(&h, reqs[i], strlen(reqs[i]) + 1);
    jg_sha256_final(&h, digest);
    int at = snprintf(dir, dirlen, "%s/", cfg->venv_dir);
    for (int i = 0; i < 16 && at > 0 && (size_t)at + 2 < dirlen; i++)
        at += snprintf(dir + at, dirlen - (size_t)at, "%02x", digest[i]);
}

int ex_venv_path(const struct ex_config *cfg, const json_t *requirements, char *dir, size_t dirlen)
{
    const char **reqs;
    long n = sorted_requirements(requirements, &reqs);
    if (n < 0)
        return (int)n;
    venv_dir_of(cfg, reqs, n, dir, dirlen);
    free(reqs);
    return 0;
}

/* ---- running the tools ---- */

struct tool_output {
    char text[16384]; /* the last bytes written (pip's errors come at the end) */
    size_t len;
};

static void keep_tail(struct tool_output *o, const char *p, size_t n)
{
    const size_t cap = sizeof o->text - 1;
    if (n > cap) {
        p += n - cap;
        n = cap;
    }
    if (o->len + n > cap) {
        size_t drop = o->len + n - cap;
        memmove(o->text, o->text + drop, o->len - drop);
        o->len -= drop;
    }
    memcpy(o->text + o->len, p, n);
    o->len += n;
    o->text[o->len] = '\0';
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run argv (umask 022, so the box uid can read what it writes) with stdout+stderr into @p o.
 * Returns the exit code (>= 0), 128 + signal, -ETIMEDOUT after --pip-timeout, or -errno. */
static int run_tool(const struct ex_config *cfg, const char *const *argv, struct tool_output *o)
{
    static const char *const pass[] = {"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                       "NO_PROXY"};
    char proxies[6][1024];
    const char *envp[10] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=/nonexistent"};
    size_t ne = 3;
    for (size_t i = 0; i < 6; i++) {
        const char *v = getenv(pass[i]);
        if (v && snprintf(proxies[i], sizeof proxies[i], "%s=%s", pass[i], v) < (int)sizeof proxies[i])
            envp[ne++] = proxies[i];
    }
    envp[ne] = NULL;
    o->len = 0;
    o->text[0] = '\0';

    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawnattr_init(&at);
    /* Our signal mask (SIGTERM blocked for sigwait) and SIGPIPE ignored must not reach the tools. */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &at, (char *const *)argv, (char *const *)envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(p[1]);
    if (rc) {
        close(p[0]);
        return -rc;
    }
    long deadline = now_ms() + cfg->pip_timeout_s * 1000;
    bool timed_out = false;
    for (;;) {
        char buf[4096];
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        long left = deadline - now_ms();
        if (!timed_out && left <= 0) {
            kill(-pid, SIGKILL);
            timed_out = true;
        }
        int ready = poll(&pf, 1, timed_out ? 1000 : (int)(left < 1000 ? left : 1000));
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0 && timed_out)
            break; /* killed, and whatever still holds the pipe is not ours to wait for */
        if (ready <= 0)
            continue;
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        keep_tail(o, buf, (size_t)n);
    }
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return -ETIMEDOUT;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* pip's verdict: its "ERROR:" lines, or failing those the end of its output. */
static void tool_message(const struct tool_output *o, char *msg, size_t msglen, size_t at)
{
    bool any = false;
    for (const char *line = o->text; *line && at + 1 < msglen;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "ERROR:", 6) == 0) {
            at += (size_t)snprintf(msg + at, msglen - at, "%s%.*s", any ? "\n" : "", (int)len, line);
            any = true;
        }
        line += len + (end != NULL);
    }
    if (!any && at + 1 < msglen) {
        size_t room = msglen - at - 1, len = o->len;
        const char *tail = len > room ? o->text + len - room : o->text;
        snprintf(msg + at, msglen - at, "%s", tail);
    }
}

static int mkdir_p(const char *path)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -errno;
            if (!c)
                return 0;
            *p = c;
        }
    }
}

static bool cached(const char *dir)
{
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/pyvenv.cfg", dir);
    return access(cfg, F_OK) == 0;
}

/* Create the environment in tmp: venv, then pip. */
static int install(const struct ex_config *cfg, const char *tmp, const char *const *reqs, long n, char *msg,
                   size_t msglen)
{
    struct tool_output *o = malloc(sizeof *o);
    char python[600];
    int rc;
    if (!o)
        return -ENOMEM;
    const char *venv[] = {"/bin/sh", "-c", "umask 022 && exec \"$@\"", "sh", cfg->python, "-m", "venv",
                          "--system-site-packages", "--without-pip", tmp, NULL};
    rc = run_tool(cfg, venv, o);
    if (rc) {
        int at = snprintf(msg, msglen, "%s -m venv failed (%s): ", cfg->python,
                          rc == -ETIMEDOUT ? "timed out" : rc < 0 ? strerror(-rc) : "exit status");
        tool_message(o, msg, msglen, (size_t)at);
        rc = rc < 0 ? rc : -EIO;
        goto out;
    }
    if (snprintf(python, sizeof python, "%s/bin/python3", tmp) >= (int)sizeof python) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    const char **argv = malloc((size_t)(n + 32) * sizeof *argv);
    if (!argv) {
        rc = -ENOMEM;
        goto out;
    }
    size_t a = 0;
    const char *fixed[] = {"/bin/sh", "-c", "umask 022 && exec \"$@\"", "sh", python, "-m", "pip", "install",
                           "--isolated", "--disable-pip-version-check", "--no-cache-dir", "--no-input",
                           "--progress-bar", "off", "--root-user-action", "ignore", "--only-binary", ":all:"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[a++] = fixed[i];
    if (cfg->pip_index_url[0]) {
        argv[a++] = "--index-url";
        argv[a++] = cfg->pip_index_url;
    } else {
        argv[a++] = "--no-index";
    }
    if (cfg->pip_find_links[0]) {
        argv[a++] = "--find-links";
        argv[a++] = cfg->pip_find_links;
    }
    argv[a++] = "--";
    for (long i = 0; i < n; i++)
        argv[a++] = reqs[i];
    argv[a] = NULL;
    rc = run_tool(cfg, argv, o);
    free(argv);
    if (rc) {
        int at = snprintf(msg, msglen, "pip install failed%s: ", rc == -ETIMEDOUT ? " (timed out)" : "");
        tool_message(o, msg, msglen, (size_t)at);
        rc = rc < 0 ? rc : -EIO;
    }
out:
    free(o);
    return rc;
}

int ex_venv_ensure(const struct ex_config *cfg, const json_t *requirements, char *dir, size_t dirlen,
                   bool *installed, char *msg, size_t msglen)
{
    const char **reqs = NULL;
    char path[600];
    int lock = -1, rc;
    *installed = false;
    msg[0] = '\0';
    long n = sorted_requirements(requirements, &reqs);
    if (n < 0) {
        snprintf(msg, msglen, "requirements must be package requirements such as \"numpy\" or \"requests>=2\"");
        return (int)n;
    }
    venv_dir_of(cfg, reqs, n, dir, dirlen);
    if (cached(dir)) {
        rc = 0;
        goto out;
    }
    if (!cfg->pip_index_url[0] && !cfg->pip_find_links[0]) {
        snprintf(msg, msglen, "this executor installs no requirements: it was started without a package "
                              "index (--pip-index-url or --pip-find-links)");
        rc = -EOPNOTSUPP;
        goto out;
    }
    rc = mkdir_p(cfg->venv_dir);
    snprintf(path, sizeof path, "%s.lock", dir);
    if (!rc && (lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        rc = -errno;
    if (rc) {
        snprintf(msg, msglen, "cannot use the environment cache %s: %s", cfg->venv_dir, strerror(-rc));
        goto out;
    }
    while (flock(lock, LOCK_EX) < 0) {
        if (errno != EINTR) {
            rc = -errno;
            snprintf(msg, msglen, "cannot lock %s: %s", path, strerror(-rc));
            goto out;
        }
    }
    if (cached(dir)) /* installed by whoever held the lock before us */
        goto out;
    snprintf(path, sizeof path, "%s.tmp", dir);
    ex_rm_tree(path); /* left by an install that died: we hold the lock, nobody else is writing it */
    rc = install(cfg, path, reqs, n, msg, msglen);
    if (!rc && rename(path, dir) < 0) {
        rc = -errno;
        snprintf(msg, msglen, "cannot move the environment into place: %s", strerror(-rc));
    }
    if (rc)
        ex_rm_tree(path);
    else
        *installed = true;
out:
    if (lock >= 0)
        close(lock);
    free(reqs);
    return rc;
}

int ex_pyenv_init(const struct ex_exec *x, const struct ex_job *job, struct ex_pyenv *env, json_t **failed)
{
    const json_t *reqs = json_object_get(job->spec, "requirements");
    memset(env, 0, sizeof *env);
    env->python = x->cfg->python;
    *failed = NULL;
    if (json_array_size(reqs) == 0)
        return 0;
    char msg[1024];
    bool installed;
    long t0 = now_ms();
    int rc = ex_venv_ensure(x->cfg, reqs, env->dir, sizeof env->dir, &installed, msg, sizeof msg);
    if (rc) {
        JG_WARN("executor", "job %s: requirements: %s", job->id, msg);
        *failed = ex_outcome_failed("RequirementsError", "%s", msg);
        return rc;
    }
    if (installed)
        JG_INFO("executor", "job %s: requirements installed into %s in %ld ms", job->id, env->dir, now_ms() - t0);
    else
        JG_DEBUG("executor", "job %s: requirements cached in %s", job->id, env->dir);
    if (x->runner->box) {
        env->bind = (struct sbx_bind){.source = env->dir, .target = "/mnt"};
        env->nbinds = 1;
        env->python = "/mnt/bin/python3";
    } else { /* bare: no mount namespace, the environment is where it is */
        snprintf(env->python_path, sizeof env->python_path, "%s/bin/python3", env->dir);
        env->python = env->python_path;
    }
    return 0;
}
