#include "router.h"

#include <stdio.h>
#include <string.h>

#include "handlers/handlers.h"
#include "judge0/judge0.h"

#define ANY_USER (GW_ROLE_CLIENT | GW_ROLE_EXECUTOR | GW_ROLE_ADMIN)
#define CLIENT (GW_ROLE_CLIENT | GW_ROLE_ADMIN)
#define EXECUTOR (GW_ROLE_EXECUTOR | GW_ROLE_ADMIN)
#define ADMIN GW_ROLE_ADMIN

/* Longer literal patterns come before "*" ones that would also match ("/jobs/batch"). */
const struct gw_route gw_routes[] = {
    {"POST", "/jobs/batch", CLIENT, true, gw_handle_jobs_batch, "jobs_batch"},
    {"POST", "/jobs/wait", CLIENT, true, gw_handle_jobs_wait, "jobs_wait"},
    {"POST", "/jobs", CLIENT, true, gw_handle_jobs_create, "jobs_create"},
    {"GET", "/jobs", CLIENT, false, gw_handle_jobs_list, "jobs_list"},
    {"GET", "/jobs/*", CLIENT, false, gw_handle_jobs_get, "jobs_get"},
    {"DELETE", "/jobs/*", CLIENT, false, gw_handle_jobs_cancel, "jobs_cancel"},
    {"PUT", "/jobs/*/result", EXECUTOR, true, gw_handle_job_result, "job_result"},
    {"PUT", "/jobs/*/progress", EXECUTOR, true, gw_handle_job_progress, "job_progress"},
    {"PUT", "/problems/*", ADMIN, true, gw_handle_problems_put, "problems_put"},
    {"GET", "/problems/*", ADMIN, false, gw_handle_problems_get, "problems_get"},
    {"POST", "/blobs", ADMIN, true, gw_handle_blobs_create, "blobs_create"},
    {"GET", "/blobs/*", EXECUTOR, false, gw_handle_blobs_get, "blobs_get"},
    {"POST", "/executor/lease", EXECUTOR, true, gw_handle_executor_lease, "executor_lease"},
    {"POST", "/executor/heartbeat", EXECUTOR, true, gw_handle_executor_heartbeat,
     "executor_heartbeat"},
    {"POST", "/executor/release", EXECUTOR, true, gw_handle_executor_release, "executor_release"},
    {"POST", "/executor/results", EXECUTOR, true, gw_handle_executor_results, "executor_results"},
    {"GET", "/runtimes", ANY_USER, false, gw_handle_runtimes, "runtimes"},
    {"GET", "/admin/tokens", ADMIN, false, gw_handle_tokens_list, "tokens_list"},
    {"POST", "/admin/tokens", ADMIN, true, gw_handle_tokens_create, "tokens_create"},
    {"DELETE", "/admin/tokens/*", ADMIN, false, gw_handle_tokens_revoke, "tokens_revoke"},
    /* Judge0 CE 1.13.1 (gateway/judge0/): "batch" before the token patterns. */
    {"POST", "/submissions/batch", CLIENT, true, j0_handle_batch_create, "j0_batch_create"},
    {"GET", "/submissions/batch", CLIENT, false, j0_handle_batch_get, "j0_batch_get"},
    {"POST", "/submissions", CLIENT, true, j0_handle_submissions_create, "j0_create"},
    {"GET", "/submissions", CLIENT, false, j0_handle_submissions_list, "j0_list"},
    {"GET", "/submissions/*", CLIENT, false, j0_handle_submissions_get, "j0_get"},
    {"DELETE", "/submissions/*", CLIENT, false, j0_handle_submissions_delete, "j0_delete"},
    {"GET", "/languages/all", ANY_USER, false, j0_handle_languages_all, "j0_languages_all"},
    {"GET", "/languages", ANY_USER, false, j0_handle_languages, "j0_languages"},
    {"GET", "/languages/*", ANY_USER, false, j0_handle_language, "j0_language"},
    {"GET", "/statuses", ANY_USER, false, j0_handle_statuses, "j0_statuses"},
    {"GET", "/about", ANY_USER, false, j0_handle_about, "j0_about"},
    {"GET", "/version", ANY_USER, false, j0_handle_version, "j0_version"},
    {"GET", "/config_info", ANY_USER, false, j0_handle_config_info, "j0_config_info"},
    {"GET", "/system_info", ANY_USER, false, j0_handle_system_info, "j0_system_info"},
    {"GET", "/workers", ANY_USER, false, j0_handle_workers, "j0_workers"},
    {"POST", "/authenticate", ANY_USER, false, j0_handle_authenticate, "j0_authenticate"},
    {"POST", "/authorize", ADMIN, false, j0_handle_authorize, "j0_authorize"},
    {"GET", "/healthz", 0, false, gw_handle_healthz, "healthz"},
    {"GET", "/readyz", 0, false, gw_handle_readyz, "readyz"},
    {"GET", "/metrics", 0, false, gw_handle_metrics, "metrics"},
    {NULL, NULL, 0, false, NULL, NULL},
};

/* Match one pattern; on success copies the "*" segment into param. */
static bool match(const char *pattern, const char *path, char *param, size_t param_len)
{
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '*') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || len >= param_len)
                return false;
            memcpy(param, s, len);
            param[len] = '\0';
            p++;
            s += len;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

enum gw_route_match gw_route_find(const char *method, const char *path,
                                   const struct gw_route **route, char *param, size_t param_len,
                                   char *allow, size_t allow_len)
{
    bool path_known = false;
    allow[0] = '\0';
    for (const struct gw_route *r = gw_routes; r->method; r++) {
        char tmp[sizeof((struct gw_request *)0)->param];
        tmp[0] = '\0';
        if (!match(r->pattern, path, tmp, sizeof tmp < param_len ? sizeof tmp : param_len))
            continue;
        /* "/jobs/batch" as a GET is a job id lookup, not a wrong method on the batch route. */
        if (strcmp(r->method, method) == 0) {
            *route = r;
            memcpy(param, tmp, strlen(tmp) + 1);
            return GW_ROUTE_FOUND;
        }
        path_known = true;
        if (!strstr(allow, r->method)) {
            size_t n = strlen(allow);
            snprintf(allow + n, allow_len - n, "%s%s", n ? ", " : "", r->method);
        }
    }
    return path_known ? GW_ROUTE_BAD_METHOD : GW_ROUTE_NOT_FOUND;
}
