#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_type { OPT_STR, OPT_LONG, OPT_LOGLEVEL };

struct option_def {
    const char *name; /* --name */
    const char *env;  /* JOBGATE_... */
    enum opt_type type;
    size_t offset;    /* into struct gw_config */
    size_t size;      /* for OPT_STR: buffer size */
    const char *def;  /* default, as text */
    long min, max;    /* for OPT_LONG */
    const char *help;
};

#define STR(field, name, env, def, help)                                                        \
    {name, env, OPT_STR, offsetof(struct gw_config, field),                                    \
     sizeof(((struct gw_config *)0)->field), def, 0, 0, help}
#define NUM(field, name, env, def, lo, hi, help)                                               \
    {name, env, OPT_LONG, offsetof(struct gw_config, field), sizeof(long), def, lo, hi, help}

/* The one list of options: parsing, environment and --help all come from it. */
static const struct option_def options[] = {
    STR(listen, "listen", "JOBGATE_LISTEN", "127.0.0.1:8080", "HOST:PORT to listen on"),
    STR(database_url, "database", "JOBGATE_DATABASE_URL", "",
        "PostgreSQL URL or conninfo (empty: libpq's PG* variables)"),
    NUM(threads, "threads", "JOBGATE_THREADS", "0", 0, 256,
        "HTTP worker threads, each with a database connection (0: 2 x CPUs, at least 4)"),
    NUM(connection_limit, "connection-limit", "JOBGATE_CONNECTION_LIMIT", "4000", 16, 60000,
        "concurrent HTTP connections"),
    NUM(connection_timeout_s, "connection-timeout", "JOBGATE_CONNECTION_TIMEOUT", "60", 1, 3600,
        "seconds an idle HTTP connection is kept"),
    NUM(max_body_kb, "max-body-kb", "JOBGATE_MAX_BODY_KB", "8192", 1, 1048576,
        "largest request body in KiB (413 beyond)"),
    NUM(max_batch, "max-batch", "JOBGATE_MAX_BATCH", "1000", 1, 100000,
        "most jobs in one POST /jobs/batch"),
    NUM(max_queued, "max-queued", "JOBGATE_MAX_QUEUED", "1000000", 1, 1000000000,
        "unfinished jobs beyond which submits get 503"),
    NUM(max_wait_s, "max-wait", "JOBGATE_MAX_WAIT", "60", 0, 3600,
        "longest long-poll in seconds (?wait= and leases)"),
    NUM(max_tests, "max-tests", "JOBGATE_MAX_TESTS", "1000", 0, 100000, "most tests per job"),
    NUM(max_labels, "max-labels", "JOBGATE_MAX_LABELS", "32", 0, 1000, "most labels per job"),
    NUM(max_requirements, "max-requirements", "JOBGATE_MAX_REQUIREMENTS", "64", 0, 1000,
        "most requirements per job"),
    NUM(lease_ttl_ms, "lease-ttl-ms", "JOBGATE_LEASE_TTL_MS", "30000", 100, 86400000,
        "a lease not renewed by a heartbeat within this expires"),
    NUM(retry_backoff_ms, "retry-backoff-ms", "JOBGATE_RETRY_BACKOFF_MS", "1000", 0, 3600000,
        "delay before an expired job runs again; doubles per attempt"),
    NUM(retry_backoff_max_ms, "retry-backoff-max-ms", "JOBGATE_RETRY_BACKOFF_MAX_MS", "300000",
        0, 86400000, "longest retry delay"),
    NUM(default_max_attempts, "default-max-attempts", "JOBGATE_DEFAULT_MAX_ATTEMPTS", "3", 1, 100,
        "max_attempts of a job that does not say"),
    NUM(max_attempts_cap, "max-attempts-cap", "JOBGATE_MAX_ATTEMPTS_CAP", "10", 1, 100,
        "largest max_attempts a job may ask for"),
    NUM(sweep_interval_ms, "sweep-interval-ms", "JOBGATE_SWEEP_INTERVAL_MS", "500", 10, 60000,
        "how often expired leases are rescued and retried jobs promoted"),
    NUM(executor_seen_s, "executor-seen", "JOBGATE_EXECUTOR_SEEN", "60", 1, 86400,
        "seconds an executor counts as live after its last request"),
    NUM(token_cache_s, "token-cache", "JOBGATE_TOKEN_CACHE", "5", 0, 3600,
        "seconds a verified token is cached (revocations also flush it at once)"),
    NUM(limits_default.cpu_ms, "default-cpu-ms", "JOBGATE_DEFAULT_CPU_MS", "5000", 1, LONG_MAX,
        "CPU time limit of a job that does not say"),
    NUM(limits_default.wall_ms, "default-wall-ms", "JOBGATE_DEFAULT_WALL_MS", "10000", 1, LONG_MAX,
        "wall-clock limit of a job that does not say"),
    NUM(limits_default.memory_mb, "default-memory-mb", "JOBGATE_DEFAULT_MEMORY_MB", "256", 1,
        LONG_MAX, "memory limit of a job that does not say"),
    NUM(limits_default.output_kb, "default-output-kb", "JOBGATE_DEFAULT_OUTPUT_KB", "1024", 1,
        LONG_MAX, "output limit of a job that does not say"),
    NUM(limits_default.processes, "default-processes", "JOBGATE_DEFAULT_PROCESSES", "32", 1,
        LONG_MAX, "process limit of a job that does not say"),
    NUM(limits_max.cpu_ms, "max-cpu-ms", "JOBGATE_MAX_CPU_MS", "60000", 1, LONG_MAX,
        "largest CPU time limit a job may ask for"),
    NUM(limits_max.wall_ms, "max-wall-ms", "JOBGATE_MAX_WALL_MS", "120000", 1, LONG_MAX,
        "largest wall-clock limit a job may ask for"),
    NUM(limits_max.memory_mb, "max-memory-mb", "JOBGATE_MAX_MEMORY_MB", "2048", 1, LONG_MAX,
        "largest memory limit a job may ask for"),
    NUM(limits_max.output_kb, "max-output-kb", "JOBGATE_MAX_OUTPUT_KB", "16384", 1, LONG_MAX,
        "largest output limit a job may ask for"),
    NUM(limits_max.processes, "max-processes", "JOBGATE_MAX_PROCESSES", "256", 1, LONG_MAX,
        "largest process limit a job may ask for"),
    STR(runtimes, "runtimes", "JOBGATE_RUNTIMES", "",
        "extra runtimes for the catalog: name=kind[+kind],... (kinds: call, function, program)"),
    {"log-level", "JOBGATE_LOG_LEVEL", OPT_LOGLEVEL, offsetof(struct gw_config, log_level),
     sizeof(enum jg_log_level), "info", 0, 0, "debug, info, warn or error"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static int set_value(struct gw_config *cfg, const struct option_def *o, const char *value,
                     const char *source)
{
    char *field = (char *)cfg + o->offset;
    switch (o->type) {
    case OPT_STR:
        if (strlen(value) >= o->size) {
            fprintf(stderr, "jobgate-gateway: %s: value too long (at most %zu bytes)\n", source,
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
            fprintf(stderr, "jobgate-gateway: %s: expected an integer from %ld to %ld, got '%s'\n",
                    source, o->min, o->max, value);
            return -EINVAL;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case OPT_LOGLEVEL: {
        enum jg_log_level lvl;
        if (jg_log_parse_level(value, &lvl)) {
            fprintf(stderr, "jobgate-gateway: %s: expected debug, info, warn or error, got '%s'\n",
                    source, value);
            return -EINVAL;
        }
        memcpy(field, &lvl, sizeof lvl);
        return 0;
    }
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

static int check_consistency(const struct gw_config *cfg)
{
    const long *def = &cfg->limits_default.cpu_ms, *max = &cfg->limits_max.cpu_ms;
    static const char *names[] = {"cpu-ms", "wall-ms", "memory-mb", "output-kb", "processes"};
    for (int i = 0; i < 5; i++) {
        if (def[i] > max[i]) {
            fprintf(stderr, "jobgate-gateway: --default-%s (%ld) is above --max-%s (%ld)\n",
                    names[i], def[i], names[i], max[i]);
            return -EINVAL;
        }
    }
    if (cfg->default_max_attempts > cfg->max_attempts_cap) {
        fprintf(stderr, "jobgate-gateway: --default-max-attempts is above --max-attempts-cap\n");
        return -EINVAL;
    }
    char host[256];
    uint16_t port;
    if (gw_config_listen_addr(cfg, host, sizeof host, &port)) {
        fprintf(stderr, "jobgate-gateway: --listen: expected HOST:PORT, got '%s'\n", cfg->listen);
        return -EINVAL;
    }
    return 0;
}

enum gw_config_status gw_config_load(struct gw_config *cfg, int argc, char **argv, int first,
                                     int *positional, int max_positional, int *npositional)
{
    memset(cfg, 0, sizeof *cfg);
    *npositional = 0;
    for (size_t i = 0; i < NOPTIONS; i++)
        if (set_value(cfg, &options[i], options[i].def, "default"))
            return GW_CONFIG_ERROR;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *v = getenv(options[i].env);
        if (v && set_value(cfg, &options[i], v, options[i].env))
            return GW_CONFIG_ERROR;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return GW_CONFIG_HELP;
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++) {
                if (*npositional >= max_positional)
                    goto too_many;
                positional[(*npositional)++] = i;
            }
            break;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (*npositional >= max_positional)
                goto too_many;
            positional[(*npositional)++] = i;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct option_def *o = find_option(name, len);
        if (!o) {
            /* Unknown options are left to the subcommand (e.g. token create --role). */
            if (*npositional >= max_positional)
                goto too_many;
            positional[(*npositional)++] = i;
            continue;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc) {
                fprintf(stderr, "jobgate-gateway: --%s needs a value\n", o->name);
                return GW_CONFIG_ERROR;
            }
            value = argv[++i];
        }
        char source[64];
        snprintf(source, sizeof source, "--%s", o->name);
        if (set_value(cfg, o, value, source))
            return GW_CONFIG_ERROR;
    }
    if (cfg->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->threads = n > 2 ? 2 * n : 4;
    }
    return check_consistency(cfg) ? GW_CONFIG_ERROR : GW_CONFIG_OK;
too_many:
    fprintf(stderr, "jobgate-gateway: too many arguments\n");
    return GW_CONFIG_ERROR;
}

void gw_config_usage(FILE *out)
{
    fprintf(out,
            "usage: jobgate-gateway [serve] [OPTIONS]       run the gateway (applies migrations first)\n"
            "       jobgate-gateway migrate [OPTIONS]       apply database migrations and exit\n"
            "       jobgate-gateway token create --role client|executor|admin --name NAME [--tenant T]\n"
            "                              [--secret-env VAR]   (the secret from $VAR; again: no-op)\n"
            "       jobgate-gateway token list [OPTIONS]\n"
            "       jobgate-gateway token revoke ID [OPTIONS]\n"
            "       jobgate-gateway --help | --version\n\n"
            "options (each also read from the environment variable shown):\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s %s", options[i].name,
                 options[i].type == OPT_STR ? "VALUE" : options[i].type == OPT_LONG ? "N" : "LEVEL");
        fprintf(out, "  %-30s %s\n  %-30s [%s, default: %s]\n", left, options[i].help, "",
                options[i].env, *options[i].def ? options[i].def : "none");
    }
}

int gw_config_listen_addr(const struct gw_config *cfg, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon = strrchr(cfg->listen, ':');
    if (!colon || colon == cfg->listen)
        return -EINVAL;
    const char *h = cfg->listen;
    size_t hl = (size_t)(colon - h);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') { /* [::1]:8080 */
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen)
        return -EINVAL;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return 0;
}
