/* A slot's way of running one program: the sandbox (sbx_box), or the bare backend (fork + rlimits,
 * no isolation, for development hosts where the sandbox cannot work). Both take an sbx_run and fill
 * an sbx_result, so the runtimes and the verdict mapping do not know which one ran them. */
#ifndef EX_RUNNER_H
#define EX_RUNNER_H

#include <stdatomic.h>
#include <sys/types.h>

#include "sandbox.h"

struct ex_runner {
    struct sbx_box *box;       /* sandbox backend; NULL = bare */
    unsigned slot;
    uid_t uid;                 /* bare: run as this uid/gid when the executor is root */
    char work_dir[256];        /* bare: per-run directories go below it */
    _Atomic pid_t bare_pgid;   /* bare: process group of the current run, 0 between runs */
    atomic_bool cancel;        /* set by ex_runner_cancel; cleared when a run starts */
    enum sbx_network network;  /* sandbox: the network of the current job's runs (set per job) */
    long zygote_retry_ms;      /* sandbox: the zygote would not start; not tried again before (monotonic) */
};

/* Same contract as sbx_run(): 0 when the program ran (res->verdict is its outcome), -errno when the
 * backend failed (res->verdict SBX_INTERNAL, res->message says why). res must be freed with
 * sbx_result_free(). */
int ex_runner_run(struct ex_runner *r, const struct sbx_run *run, struct sbx_result *res);

/* The same, through the slot's warm Python zygote when the run allows it (its argv starts with zc->argv and
 * a script, no binds, no network): the zygote is started on first use (zc is read then); when it cannot start
 * or take the run, ex_runner_run(). */
int ex_runner_run_warm(struct ex_runner *r, const struct sbx_run *run, const struct sbx_zygote_config *zc,
                       struct sbx_result *res);

/* Start the slot's zygote with zc now (sandbox backend), unless it runs or failed to start lately. */
void ex_runner_warm_up(struct ex_runner *r, const struct sbx_zygote_config *zc);

/* Kill the current run, if any, from any thread. */
void ex_runner_cancel(struct ex_runner *r);

/* The bare backend's run (exposed for tests). */
int ex_bare_run(struct ex_runner *r, const struct sbx_run *run, struct sbx_result *res);

#endif
