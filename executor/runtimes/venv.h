/* Cached virtual environments for the requirements of Python jobs.
 *
 * A job's requirements are installed by the executor, outside any box and never by the job, into
 * <--venv-dir>/<key>, where key is the SHA-256 (first 32 hex digits) of the interpreter path and the
 * sorted, de-duplicated requirement list. The environment is then bound read-only at /mnt in each of
 * the job's runs, and the job runs /mnt/bin/python3 (a symlink to the box's interpreter; the venv sees
 * the system site-packages too, so cloudpickle is there). */
#ifndef EX_VENV_H
#define EX_VENV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "runtime.h"

/* Where the environment of @p requirements (a JSON array of requirement strings) lives. Returns 0,
 * or -EINVAL when an entry is not a plain requirement ("numpy", "requests>=2,<3", "pkg[extra]"). */
int ex_venv_path(const struct ex_config *cfg, const json_t *requirements, char *dir, size_t dirlen);

/* Make sure the environment of @p requirements exists and put its directory in @p dir. When it is
 * cached nothing runs. Otherwise, holding an exclusive lock on <dir>.lock (concurrent jobs with the
 * same list, in this executor or another on the host, share one install): `python -m venv
 * --system-site-packages --without-pip <dir>.tmp`, then that venv's pip (the system's) installs the
 * list, wheels only (no package code runs at install time), from --pip-index-url and/or
 * --pip-find-links, within --pip-timeout; then <dir>.tmp is renamed to <dir>. *installed says whether
 * this call installed it. On failure returns -errno and msg says why (pip's ERROR lines, or the
 * last of its output); nothing is cached. */
int ex_venv_ensure(const struct ex_config *cfg, const json_t *requirements, char *dir, size_t dirlen,
                   bool *installed, char *msg, size_t msglen);

/* The interpreter and binds of a job's Python runs. */
struct ex_pyenv {
    const char *python;     /* argv[0] of the run */
    struct sbx_bind bind;   /* the job's environment at /mnt (sandbox backend) */
    size_t nbinds;          /* 0 or 1 */
    char dir[512];          /* the environment on the host ("" without requirements) */
    char python_path[560];
};

/* Fill @p env for @p job: the configured interpreter when the job has no requirements, else its
 * environment (installed first when needed). Returns 0, or -errno with *failed set to a failed
 * outcome (RequirementsError, with pip's message). */
int ex_pyenv_init(const struct ex_exec *x, const struct ex_job *job, struct ex_pyenv *env, json_t **failed);

#endif
