/* Executor configuration: defaults, then JOBGATE_* environment variables, then command-line options. */
#ifndef EX_CONFIG_H
#define EX_CONFIG_H

#include <stdio.h>

#include "log.h"

/* How strongly jobs are isolated; ordered, so "at least" is a comparison. */
enum ex_isolation { EX_ISOLATION_NONE = 0, EX_ISOLATION_MINIMUM = 1, EX_ISOLATION_STRICT = 2 };

struct ex_config {
    char gateway[512];        /* base URL, http or https */
    char token[512];          /* executor token */
    long slots;               /* concurrent runs (0 at parse time: number of CPUs) */
    char name[129];           /* shown in the gateway's /workers; default: the host name */
    char runtimes[256];       /* comma-separated runtime names declared to the gateway */
    enum ex_isolation min_isolation; /* refuse to start below this */
    char backend[16];         /* "sandbox" (sbx) or "bare" (fork+rlimits, only with min-isolation none) */
    long grace_s;             /* SIGTERM: how long running jobs may finish */
    char work_dir[256];       /* scratch space of the bare backend */
    char python[256];         /* interpreter path inside the box */
    char gcc[256];
    char gxx[256];
    char venv_dir[256];       /* cached virtual environments of Python jobs' requirements */
    char pip_index_url[512];  /* package index for requirements ("" = none) */
    char pip_find_links[256]; /* local directory of wheels for requirements ("" = none) */
    long pip_timeout_s;       /* one requirements install, at most */
    long lease_wait_s;        /* long-poll length of POST /executor/lease */
    long http_timeout_s;      /* per request, on top of the long-poll */
    long max_response_kb;     /* cap on any answer from the gateway */
    long first_uid;           /* box k runs as first_uid + k */
    long compile_cpu_ms;      /* limits of a compiler run */
    long compile_memory_mb;
    long result_kb;           /* cap on a call's pickled result and a function's JSON value */
    long excerpt_bytes;       /* per-test output excerpt kept in the result */
    char cache_dir[256];      /* test data cache (cache.h) */
    long cache_mb;            /* its size bound */
    char allow_network_labels[512];   /* comma-separated KEY=VALUE: jobs with such a label get the network */
    char allow_network_runtimes[256]; /* comma-separated runtimes whose jobs all get the network */
    long prefetch;            /* leased beyond the free slots (-1 at parse time: as many as slots) */
    long zygote_runs;         /* runs of a slot's Python zygote before it is replaced; 0 = no zygote */
    enum jg_log_level log_level;
};

enum ex_config_status { EX_CONFIG_OK, EX_CONFIG_HELP, EX_CONFIG_ERROR };

/* Fill @p cfg from defaults, the environment and argv[1..argc); prints a precise message on error. */
enum ex_config_status ex_config_load(struct ex_config *cfg, int argc, char **argv);

/* The option list with environment names and defaults. */
void ex_config_usage(FILE *out);

const char *ex_isolation_name(enum ex_isolation level);

/* Whether runtime @p name is in the comma-separated cfg->runtimes. */
int ex_config_has_runtime(const struct ex_config *cfg, const char *name);

/* Whether the comma-separated @p list has the entry @p item (exactly). */
int ex_config_list_has(const char *list, const char *item);

#endif
