/* The executor's options: one table drives parsing, the environment and --help (as gateway/config.c). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_type { OPT_STR, OPT_LONG, OPT_LOGLEVEL, OPT_ISOLATION };

struct option_def {
    const char *name;
    const char *env;
    enum opt_type type;
    size_t offset;
    size_t size;
    const char *def;
    long min, max;
    const char *help;
};

#define STR(field, name, env, def, help)                                                           \
    {name, env, OPT_STR, offsetof(struct ex_config, field), sizeof(((struct ex_config *)0)->field),   \
     def, 0, 0, help}
#define NUM(field, name, env, def, lo, hi, help)                                                   \
    {name, env, OPT_LONG, offsetof(struct ex_config, field), sizeof(long), def, lo, hi, help}

static const struct option_def options[] = {
    STR(gateway, "gateway", "JOBGATE_GATEWAY_URL", "", "gateway base URL (http:// or https://), required"),
    STR(token, "token", "JOBGATE_TOKEN", "", "executor token (role executor), required"),
    NUM(slots, "slots", "JOBGATE_SLOTS", "0", 0, 256, "jobs run at once (0: number of CPUs)"),
    STR(name, "name", "JOBGATE_EXECUTOR_NAME", "", "name shown to the gateway (empty: host name)"),
    STR(runtimes, "runtimes", "JOBGATE_EXECUTOR_RUNTIMES", "python3,c11,cpp17",
        "runtimes offered, comma-separated"),
    {"min-isolation", "JOBGATE_MIN_ISOLATION", OPT_ISOLATION, offsetof(struct ex_config, min_isolation),
     sizeof(enum ex_isolation), "strict", 0, 0,
     "strict (every sandbox mechanism), minimum (namespaces+seccomp, cgroups optional) or none; "
     "the executor refuses to start below it"},
    STR(backend, "backend", "JOBGATE_EXECUTOR_BACKEND", "sandbox",
        "sandbox, or bare (fork+rlimits, no isolation: development only, needs --min-isolation none)"),
    NUM(grace_s, "grace-seconds", "JOBGATE_GRACE_SECONDS", "30", 0, 86400,
        "on SIGTERM, how long running jobs may finish before they are killed and handed back"),
    STR(work_dir, "work-dir", "JOBGATE_WORK_DIR", "/tmp", "scratch directory of the bare backend"),
    STR(python, "python", "JOBGATE_PYTHON", "/usr/bin/python3", "Python interpreter (path inside the box)"),
    STR(gcc, "gcc", "JOBGATE_GCC", "/usr/bin/gcc", "C compiler (path inside the box)"),
    STR(gxx, "gxx", "JOBGATE_GXX", "/usr/bin/g++", "C++ compiler (path inside the box)"),
    STR(venv_dir, "venv-dir", "JOBGATE_VENV_DIR", "/var/cache/jobgate/venvs",
        "where the virtual environments of jobs' requirements are cached (one per requirement list)"),
    STR(pip_index_url, "pip-index-url", "JOBGATE_PIP_INDEX_URL", "",
        "package index that requirements are installed from (empty: none)"),
    STR(pip_find_links, "pip-find-links", "JOBGATE_PIP_FIND_LINKS", "",
        "local directory of wheels that requirements are installed from (empty: none); with neither "
        "option, jobs with requirements fail"),
    NUM(pip_timeout_s, "pip-timeout", "JOBGATE_PIP_TIMEOUT", "600", 1, 86400,
        "seconds one requirements install may take"),
    NUM(lease_wait_s, "lease-wait", "JOBGATE_LEASE_WAIT", "20", 0, 600,
        "seconds one lease request long-polls"),
    NUM(http_timeout_s, "http-timeout", "JOBGATE_HTTP_TIMEOUT", "15", 1, 600,
        "seconds a request to the gateway may take beyond its long-poll"),
    NUM(max_response_kb, "max-response-kb", "JOBGATE_MAX_RESPONSE_KB", "262144", 64, 4194304,
        "largest answer accepted from the gateway, in KiB"),
    NUM(first_uid, "first-uid", "JOBGATE_FIRST_UID", "60000", 1000, 2000000000,
        "box k runs as uid and gid first-uid + k"),
    NUM(compile_cpu_ms, "compile-cpu-ms", "JOBGATE_COMPILE_CPU_MS", "10000", 100, 600000,
        "CPU limit of one compiler run"),
    NUM(compile_memory_mb, "compile-memory-mb", "JOBGATE_COMPILE_MEMORY_MB", "512", 16, 65536,
        "memory limit of one compiler run"),
    NUM(result_kb, "result-kb", "JOBGATE_RESULT_KB", "16384", 1, 1048576,
        "largest pickled result or JSON value a job may return, in KiB"),
    NUM(excerpt_bytes, "excerpt-bytes", "JOBGATE_EXCERPT_BYTES", "256", 0, 1048576,
        "bytes of output kept per test"),
    STR(cache_dir, "cache-dir", "JOBGATE_CACHE_DIR", "/var/cache/jobgate/blobs",
        "where stored problems' test data and compiled checkers are cached, by SHA-256"),
    NUM(cache_mb, "cache-mb", "JOBGATE_CACHE_MB", "1024", 1, 1048576,
        "size of that cache in MiB; least recently used files go first"),
    STR(allow_network_labels, "allow-network-labels", "JOBGATE_ALLOW_NETWORK_LABELS", "",
        "jobs carrying one of these labels (comma-separated KEY=VALUE, e.g. network=host) run in the "
        "executor's network namespace with IP sockets allowed (empty: no job has a network)"),
    STR(allow_network_runtimes, "allow-network-runtimes", "JOBGATE_ALLOW_NETWORK_RUNTIMES", "",
        "every job of these runtimes (comma-separated) runs with the executor's network (empty: none)"),
    NUM(prefetch, "prefetch", "JOBGATE_PREFETCH", "-1", -1, 4096,
        "jobs leased beyond the free slots, queued here so that a slot goes on without waiting for a lease "
        "round trip (-1: as many as --slots while recent jobs run under 100 ms on average, none otherwise; "
        "0: a job is leased only for a free slot)"),
    NUM(zygote_runs, "zygote-runs", "JOBGATE_ZYGOTE_RUNS", "10000", 0, 1000000000,
        "call and function jobs run in a child of a warm Python interpreter per slot (the zygote), which is "
        "replaced after this many runs; 0: a fresh interpreter for every run instead"),
    {"log-level", "JOBGATE_LOG_LEVEL", OPT_LOGLEVEL, offsetof(struct ex_config, log_level),
     sizeof(enum jg_log_level), "info", 0, 0, "debug, info, warn or error"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static const char *const isolation_names[] = {"none", "minimum", "strict"};

const char *ex_isolation_name(enum ex_isolation level)
{
    return (unsigned)level < 3 ? isolation_names[level] : "unknown";
}

static int set_value(struct ex_config *cfg, const struct option_def *o, const char *value,
                     const char *source)
{
    char *field = (char *)cfg + o->offset;
    switch (o->type) {
    case OPT_STR:
        if (strlen(value) >= o->size) {
            fprintf(stderr, "jobgate-executor: %s: value too long (at most %zu bytes)\n", source,
                    o->size - 1);
            return -EINVAL;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case OPT_LONG: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0' || v < o->min || v > o->max) {
            fprintf(stderr, "jobgate-executor: %s: expected an integer from %ld to %ld, got '%s'\n",
                    source, o->min, o->max, value);
            return -EINVAL;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case OPT_LOGLEVEL: {
        enum jg_log_level lvl;
        if (jg_log_parse_level(value, &lvl)) {
            fprintf(stderr, "jobgate-executor: %s: expected debug, info, warn or error, got '%s'\n",
                    source, value);
            return -EINVAL;
        }
        memcpy(field, &lvl, sizeof lvl);
        return 0;
    }
    case OPT_ISOLATION:
        for (int i = 0; i < 3; i++) {
            if (strcmp(value, isolation_names[i]) == 0) {
                enum ex_isolation lvl = (enum ex_isolation)i;
                memcpy(field, &lvl, sizeof lvl);
                return 0;
            }
        }
        fprintf(stderr, "jobgate-executor: %s: expected strict, minimum or none, got '%s'\n", source,
                value);
        return -EINVAL;
    }
    return -EINVAL;
}

static const struct option_def *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

int ex_config_list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        p += len + (end ? 1 : 0);
    }
    return 0;
}

int ex_config_has_runtime(const struct ex_config *cfg, const char *name)
{
    return ex_config_list_has(cfg->runtimes, name);
}

/* Each entry of --allow-network-labels is KEY=VALUE with a non-empty KEY (the gateway's label rules). */
static int check_network_labels(const char *list)
{
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || eq == p) {
            fprintf(stderr, "jobgate-executor: --allow-network-labels: expected KEY=VALUE entries, "
                            "got '%.*s'\n", (int)len, p);
            return -EINVAL;
        }
        p += len + (end ? 1 : 0);
    }
    return 0;
}

static int check_consistency(struct ex_config *cfg)
{
    static const char *const known[] = {"python3", "c11", "cpp17"};
    if (!cfg->gateway[0] || !cfg->token[0]) {
        fprintf(stderr, "jobgate-executor: --gateway and --token are required (or JOBGATE_GATEWAY_URL "
                        "and JOBGATE_TOKEN)\n");
        return -EINVAL;
    }
    if (strncmp(cfg->gateway, "http://", 7) != 0 && strncmp(cfg->gateway, "https://", 8) != 0) {
        fprintf(stderr, "jobgate-executor: --gateway: expected an http:// or https:// URL, got '%s'\n",
                cfg->gateway);
        return -EINVAL;
    }
    size_t gl = strlen(cfg->gateway);
    while (gl > 0 && cfg->gateway[gl - 1] == '/')
        cfg->gateway[--gl] = '\0';
    if (strcmp(cfg->backend, "sandbox") != 0 && strcmp(cfg->backend, "bare") != 0) {
        fprintf(stderr, "jobgate-executor: --backend: expected sandbox or bare, got '%s'\n", cfg->backend);
        return -EINVAL;
    }
    if (strcmp(cfg->backend, "bare") == 0 && cfg->min_isolation != EX_ISOLATION_NONE) {
        fprintf(stderr, "jobgate-executor: --backend bare isolates nothing; it needs --min-isolation "
                        "none (development only)\n");
        return -EINVAL;
    }
    if (cfg->pip_index_url[0] && strncmp(cfg->pip_index_url, "http://", 7) != 0 &&
        strncmp(cfg->pip_index_url, "https://", 8) != 0) {
        fprintf(stderr, "jobgate-executor: --pip-index-url: expected an http:// or https:// URL, got '%s'\n",
                cfg->pip_index_url);
        return -EINVAL;
    }
    if ((cfg->pip_find_links[0] && cfg->pip_find_links[0] != '/') || cfg->venv_dir[0] != '/') {
        fprintf(stderr, "jobgate-executor: --pip-find-links and --venv-dir must be absolute paths\n");
        return -EINVAL;
    }
    if (check_network_labels(cfg->allow_network_labels))
        return -EINVAL;
    /* Every declared runtime must be one we can run: an unknown one would lease jobs we then fail. */
    int count = 0;
    for (const char *p = cfg->runtimes; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            ok |= strlen(known[i]) == len && strncmp(known[i], p, len) == 0;
        if (!ok) {
            fprintf(stderr, "jobgate-executor: --runtimes: unknown runtime '%.*s' (known: python3, c11, "
                            "cpp17)\n", (int)len, p);
            return -EINVAL;
        }
        count++;
        p += len + (end ? 1 : 0);
    }
    if (count == 0) {
        fprintf(stderr, "jobgate-executor: --runtimes: at least one runtime is needed\n");
        return -EINVAL;
    }
    if (cfg->slots == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->slots = n > 0 ? (n > 256 ? 256 : n) : 1;
    }
    if (!cfg->name[0] && gethostname(cfg->name, sizeof cfg->name - 1))
        snprintf(cfg->name, sizeof cfg->name, "executor");
    return 0;
}

enum ex_config_status ex_config_load(struct ex_config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NOPTIONS; i++)
        if (set_value(cfg, &options[i], options[i].def, "default"))
            return EX_CONFIG_ERROR;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *v = getenv(options[i].env);
        if (v && set_value(cfg, &options[i], v, options[i].env))
            return EX_CONFIG_ERROR;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return EX_CONFIG_HELP;
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "jobgate-executor: unexpected argument '%s' (see --help)\n", a);
            return EX_CONFIG_ERROR;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct option_def *o = find_option(name, len);
        if (!o) {
            fprintf(stderr, "jobgate-executor: unknown option '%s' (see --help)\n", a);
            return EX_CONFIG_ERROR;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc) {
                fprintf(stderr, "jobgate-executor: --%s needs a value\n", o->name);
                return EX_CONFIG_ERROR;
            }
            value = argv[++i];
        }
        char source[64];
        snprintf(source, sizeof source, "--%s", o->name);
        if (set_value(cfg, o, value, source))
            return EX_CONFIG_ERROR;
    }
    return check_consistency(cfg) ? EX_CONFIG_ERROR : EX_CONFIG_OK;
}

void ex_config_usage(FILE *out)
{
    fprintf(out, "usage: jobgate-executor --gateway URL --token TOKEN [OPTIONS]\n"
                 "       jobgate-executor --help\n\n"
                 "Pulls jobs from a jobgate gateway, runs each in the sandbox and posts the results.\n"
                 "SIGTERM drains: no new leases, running jobs get --grace-seconds, the rest is handed back.\n\n"
                 "options (each also read from the environment variable shown):\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s %s", options[i].name,
                 options[i].type == OPT_LONG ? "N" : options[i].type == OPT_STR ? "VALUE" : "LEVEL");
        fprintf(out, "  %-28s %s\n  %-28s [%s, default: %s]\n", left, options[i].help, "",
                options[i].env, *options[i].def ? options[i].def : "none");
    }
}
