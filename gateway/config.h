/* Gateway configuration: defaults, then JOBGATE_* environment variables, then command-line options. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

/* Resource limits of one job; also used for the server's defaults and caps. */
struct gw_limits {
    long cpu_ms;
    long wall_ms;
    long memory_mb;
    long output_kb;
    long processes;
};

struct gw_config {
    char listen[256];         /* HOST:PORT */
    char database_url[1024];  /* libpq connection string or URI; empty: libpq's PG* defaults */
    long threads;             /* HTTP worker threads, each with its own PostgreSQL connection */
    long connection_limit;    /* concurrent HTTP connections */
    long connection_timeout_s;
    long max_body_kb;         /* request body cap (413 beyond) */
    long max_batch;           /* jobs per POST /jobs/batch */
    long max_queued;          /* unfinished jobs before submits get 503 */
    long max_wait_s;          /* cap for ?wait= and lease long-polls */
    long max_tests;           /* tests per job */
    long max_labels;          /* labels per job */
    long max_requirements;    /* requirements per job */
    long lease_ttl_ms;        /* a lease not renewed within this expires */
    long retry_backoff_ms;    /* first back-off after an expired lease; doubles per attempt */
    long retry_backoff_max_ms;
    long default_max_attempts;
    long max_attempts_cap;
    long sweep_interval_ms;   /* lease rescue, promotion of retried jobs, queue gauges */
    long executor_seen_s;     /* an executor counts as live this long after its last request */
    long token_cache_s;       /* how long a verified token is trusted without asking PostgreSQL */
    struct gw_limits limits_default;
    struct gw_limits limits_max;
    char runtimes[4096];      /* extra catalog entries: "name=kind+kind,name2=kind" */
    enum jg_log_level log_level;
};

/* Outcome of parsing: run, print help and exit 0, or error exit 2. */
enum gw_config_status { GW_CONFIG_OK, GW_CONFIG_HELP, GW_CONFIG_ERROR };

/**
 * Fill @p cfg from defaults, the environment and argv[first..argc).
 * Prints a precise message to stderr on error. Positional arguments are left for the caller:
 * their indexes are stored in @p positional (at most @p max_positional), their count in *npositional.
 */
enum gw_config_status gw_config_load(struct gw_config *cfg, int argc, char **argv, int first,
                                     int *positional, int max_positional, int *npositional);

/* Print the option list (with environment names and defaults) to @p out. */
void gw_config_usage(FILE *out);

/* Split cfg->listen into host and port; returns 0 or -EINVAL. */
int gw_config_listen_addr(const struct gw_config *cfg, char *host, size_t hostlen, uint16_t *port);

#endif
