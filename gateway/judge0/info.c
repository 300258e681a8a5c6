/* Judge0's read-only endpoints: /languages, /languages/all, /languages/<id>, /statuses, /about,
 * /version, /config_info, /system_info, /workers, /authenticate, /authorize — and the language,
 * status and configuration tables the submission endpoints share. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "handlers/handlers.h"
#include "http/server.h"
#include "judge0.h"

/* Judge0's ids for the runtimes we have; the commands are ours (fixed, no compiler_options). */
const struct j0_language j0_languages[] = {
    {50, "C (GCC 12.2.0)", "c11", "main.c", "/usr/bin/gcc -std=c11 -O2 -o main main.c -lm",
     "./main"},
    {54, "C++ (GCC 12.2.0)", "cpp17", "main.cpp", "/usr/bin/g++ -std=c++17 -O2 -o main main.cpp",
     "./main"},
    {71, "Python (3.11.2)", "python3", "main.py", NULL, "/usr/bin/python3 -I -B main.py"},
};
const int j0_nlanguages = (int)(sizeof j0_languages / sizeof *j0_languages);

const struct j0_language *j0_language_by_id(long id)
{
    for (int i = 0; i < j0_nlanguages; i++)
        if (j0_languages[i].id == id)
            return &j0_languages[i];
    return NULL;
}

const struct j0_language *j0_language_by_runtime(const char *runtime)
{
    for (int i = 0; i < j0_nlanguages; i++)
        if (strcmp(j0_languages[i].runtime, runtime) == 0)
            return &j0_languages[i];
    return NULL;
}

static const char *const statuses[] = {
    NULL,
    "In Queue",
    "Processing",
    "Accepted",
    "Wrong Answer",
    "Time Limit Exceeded",
    "Compilation Error",
    "Runtime Error (SIGSEGV)",
    "Runtime Error (SIGXFSZ)",
    "Runtime Error (SIGFPE)",
    "Runtime Error (SIGABRT)",
    "Runtime Error (NZEC)",
    "Runtime Error (Other)",
    "Internal Error",
    "Exec Format Error",
};

const char *j0_status_name(int id)
{
    return id >= 1 && id <= 14 ? statuses[id] : "Unknown";
}

static double min_d(double a, double b)
{
    return a < b ? a : b;
}

static long min_l(long a, long b)
{
    return a < b ? a : b;
}

void j0_config_of(const struct gw_config *cfg, struct j0_config *out)
{
    const struct gw_limits *mx = &cfg->limits_max;
    out->max_cpu_time_limit = min_d(15, (double)mx->cpu_ms / 1000.0);
    out->max_wall_time_limit = min_d(20, (double)mx->wall_ms / 1000.0);
    out->max_memory_limit = min_l(512000, mx->memory_mb * 1024);
    out->max_max_processes = min_l(120, mx->processes);
    out->max_max_file_size = min_l(4096, mx->output_kb);
    out->cpu_time_limit = min_d(5, out->max_cpu_time_limit);
    out->wall_time_limit = min_d(10, out->max_wall_time_limit);
    out->memory_limit = min_l(128000, out->max_memory_limit);
    out->max_processes = min_l(60, out->max_max_processes);
    out->max_file_size = min_l(1024, out->max_max_file_size);
    out->cpu_extra_time = 1;
    out->max_cpu_extra_time = 5;
    out->stack_limit = 64000;
    out->max_stack_limit = 128000;
    out->number_of_runs = 1;
    out->max_number_of_runs = 20;
    out->max_batch = min_l(20, cfg->max_batch);
}

enum gw_result j0_reply_error(struct gw_request *rq, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gw_reply_json(rq, status, json_pack("{s:s}", "error", msg));
}

bool j0_query_true(struct gw_request *rq, const char *name)
{
    const char *v = gw_query(rq, name);
    return v && strcmp(v, "true") == 0;
}

enum gw_result j0_handle_languages(struct gw_request *rq)
{
    json_t *list = json_array();
    for (int i = 0; i < j0_nlanguages; i++)
        json_array_append_new(list, json_pack("{s:i, s:s}", "id", j0_languages[i].id, "name",
                                              j0_languages[i].name));
    return gw_reply_json(rq, 200, list);
}

enum gw_result j0_handle_languages_all(struct gw_request *rq)
{
    json_t *list = json_array();
    for (int i = 0; i < j0_nlanguages; i++) /* sorted by name, as Judge0 does */
        json_array_append_new(list, json_pack("{s:i, s:s, s:b}", "id", j0_languages[i].id,
                                              "name", j0_languages[i].name, "is_archived", 0));
    return gw_reply_json(rq, 200, list);
}

enum gw_result j0_handle_language(struct gw_request *rq)
{
    char *end;
    long id = strtol(rq->param, &end, 10);
    const struct j0_language *l = *end ? NULL : j0_language_by_id(id);
    if (!l)
        return gw_reply_json(rq, 404, json_pack("{s:i, s:s}", "status", 404, "error",
                                                "Not Found"));
    return gw_reply_json(rq, 200,
                         json_pack("{s:i, s:s, s:b, s:s, s:s?, s:s}", "id", l->id, "name",
                                   l->name, "is_archived", 0, "source_file", l->source_file,
                                   "compile_cmd", l->compile_cmd, "run_cmd", l->run_cmd));
}

enum gw_result j0_handle_statuses(struct gw_request *rq)
{
    json_t *list = json_array();
    for (int id = 1; id <= 14; id++)
        json_array_append_new(list, json_pack("{s:i, s:s}", "id", id, "description",
                                              j0_status_name(id)));
    return gw_reply_json(rq, 200, list);
}

#define J0_VERSION "1.13.1"

enum gw_result j0_handle_about(struct gw_request *rq)
{
    return gw_reply_json(rq, 200,
                         json_pack("{s:s, s:s, s:s, s:s}", "version", J0_VERSION, "homepage",
                                   "jobgate: the Judge0 CE " J0_VERSION " API on jobgate's jobs",
                                   "source_code", "gateway/judge0/ in the jobgate repository",
                                   "maintainer", "the jobgate maintainers"));
}

enum gw_result j0_handle_version(struct gw_request *rq)
{
    return gw_reply_text(rq, 200, "text/plain; charset=utf-8", J0_VERSION,
                         sizeof J0_VERSION - 1);
}

enum gw_result j0_handle_config_info(struct gw_request *rq)
{
    struct j0_config c;
    j0_config_of(&rq->gw->cfg, &c);
    json_t *o = json_object();
    /* What this gateway does, in Judge0's terms (README.md: deliberate differences). */
    json_object_set_new(o, "maintenance_mode", json_false());
    json_object_set_new(o, "enable_wait_result", json_true());
    json_object_set_new(o, "enable_compiler_options", json_false());
    json_object_set_new(o, "allowed_languages_for_compile_options", json_array());
    json_object_set_new(o, "enable_command_line_arguments", json_false());
    json_object_set_new(o, "enable_submission_delete", json_true());
    json_object_set_new(o, "enable_callbacks", json_false());
    json_object_set_new(o, "callbacks_max_tries", json_integer(0));
    json_object_set_new(o, "callbacks_timeout", json_real(0));
    json_object_set_new(o, "enable_additional_files", json_false());
    json_object_set_new(o, "max_queue_size", json_integer(rq->gw->cfg.max_queued));
    json_object_set_new(o, "cpu_time_limit", json_real(c.cpu_time_limit));
    json_object_set_new(o, "max_cpu_time_limit", json_real(c.max_cpu_time_limit));
    json_object_set_new(o, "cpu_extra_time", json_real(c.cpu_extra_time));
    json_object_set_new(o, "max_cpu_extra_time", json_real(c.max_cpu_extra_time));
    json_object_set_new(o, "wall_time_limit", json_real(c.wall_time_limit));
    json_object_set_new(o, "max_wall_time_limit", json_real(c.max_wall_time_limit));
    json_object_set_new(o, "memory_limit", json_integer(c.memory_limit));
    json_object_set_new(o, "max_memory_limit", json_integer(c.max_memory_limit));
    json_object_set_new(o, "stack_limit", json_integer(c.stack_limit));
    json_object_set_new(o, "max_stack_limit", json_integer(c.max_stack_limit));
    json_object_set_new(o, "max_processes_and_or_threads", json_integer(c.max_processes));
    json_object_set_new(o, "max_max_processes_and_or_threads",
                        json_integer(c.max_max_processes));
    json_object_set_new(o, "enable_per_process_and_thread_time_limit", json_false());
    json_object_set_new(o, "allow_enable_per_process_and_thread_time_limit", json_true());
    json_object_set_new(o, "enable_per_process_and_thread_memory_limit", json_false());
    json_object_set_new(o, "allow_enable_per_process_and_thread_memory_limit", json_true());
    json_object_set_new(o, "max_file_size", json_integer(c.max_file_size));
    json_object_set_new(o, "max_max_file_size", json_integer(c.max_max_file_size));
    json_object_set_new(o, "number_of_runs", json_integer(c.number_of_runs));
    json_object_set_new(o, "max_number_of_runs", json_integer(c.max_number_of_runs));
    json_object_set_new(o, "redirect_stderr_to_stdout", json_false());
    json_object_set_new(o, "max_extract_size", json_integer(0));
    json_object_set_new(o, "enable_batched_submissions", json_true());
    json_object_set_new(o, "max_submission_batch_size", json_integer(c.max_batch));
    json_object_set_new(o, "submission_cache_duration", json_real(0));
    json_object_set_new(o, "use_docs_as_homepage", json_false());
    json_object_set_new(o, "allow_enable_network", json_false());
    json_object_set_new(o, "enable_network", json_false());
    return gw_reply_json(rq, 200, o);
}

/* "7.7Gi" from kB, in the style of free -h. */
static void human_kb(unsigned long long kb, char *out, size_t len)
{
    static const char *const units[] = {"Ki", "Mi", "Gi", "Ti"};
    double v = (double)kb;
    int u = 0;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    snprintf(out, len, v < 10 ? "%.1f%s" : "%.0f%s", v, units[u]);
}

/* Judge0 answers lscpu + free -h of its web host as one flat map; we read the same facts from
 * /proc without starting a process. */
enum gw_result j0_handle_system_info(struct gw_request *rq)
{
    json_t *o = json_object();
    struct utsname u;
    if (uname(&u) == 0) {
        json_object_set_new(o, "Architecture", json_string(u.machine));
        json_object_set_new(o, "Kernel", json_string(u.release));
    }
    char n[24];
    snprintf(n, sizeof n, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    json_object_set_new(o, "CPU(s)", json_string(n));
    FILE *f = fopen("/proc/cpuinfo", "re");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        static const char *const keys[][2] = {{"model name", "Model name"},
                                              {"vendor_id", "Vendor ID"},
                                              {"cpu MHz", "CPU MHz"},
                                              {"bogomips", "BogoMIPS"}};
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            if (strncmp(line, keys[k][0], strlen(keys[k][0])) != 0 ||
                json_object_get(o, keys[k][1]))
                continue;
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            v[strcspn(v, "\n")] = '\0';
            json_t *s = json_string(v);
            if (s)
                json_object_set_new(o, keys[k][1], s);
        }
    }
    if (f)
        fclose(f);
    f = fopen("/proc/meminfo", "re");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long kb;
        char h[32];
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) {
            human_kb(kb, h, sizeof h);
            json_object_set_new(o, "Mem", json_string(h));
        } else if (sscanf(line, "SwapTotal: %llu kB", &kb) == 1) {
            human_kb(kb, h, sizeof h);
            json_object_set_new(o, "Swap", json_string(h));
        }
    }
    if (f)
        fclose(f);
    return gw_reply_json(rq, 200, o);
}

/* One "queue" per runtime: queued jobs, and the slots of live executors serving it. */
enum gw_result j0_handle_workers(struct gw_request *rq)
{
    struct db_conn *db = gw_db(rq);
    char secs[24];
    snprintf(secs, sizeof secs, "%ld", rq->gw->cfg.executor_seen_s);
    const char *params[] = {secs};
    PGresult *depth = db_exec(db, STMT_QUEUE_DEPTH, 0, NULL);
    PGresult *live = depth ? db_exec(db, STMT_RUNTIMES_LIVE, 1, params) : NULL;
    if (!live) {
        if (depth)
            PQclear(depth);
        return gw_reply_db_error(rq, db);
    }
    json_t *list = json_array();
    for (int i = 0; i < j0_nlanguages; i++) {
        const char *rt = j0_languages[i].runtime;
        long long queued = 0, running = 0, slots = 0;
        for (int row = 0; row < PQntuples(depth); row++) {
            if (strcmp(PQgetvalue(depth, row, 0), rt) != 0)
                continue;
            if (strcmp(PQgetvalue(depth, row, 1), "running") == 0)
                running += db_ll(depth, row, 2);
            else
                queued += db_ll(depth, row, 2);
        }
        for (int row = 0; row < PQntuples(live); row++)
            if (strcmp(PQgetvalue(live, row, 0), rt) == 0)
                slots = db_ll(live, row, 2);
        long long idle = slots > running ? slots - running : 0;
        json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:I, s:I, s:i, s:i}", "queue", rt,
                                              "size", (json_int_t)queued, "available",
                                              (json_int_t)slots, "idle", (json_int_t)idle,
                                              "working", (json_int_t)running, "paused", 0,
                                              "failed", 0));
    }
    PQclear(depth);
    PQclear(live);
    return gw_reply_json(rq, 200, list);
}

/* POST /authenticate: the token was good (the server checked it before we ran). */
enum gw_result j0_handle_authenticate(struct gw_request *rq)
{
    return gw_reply_text(rq, 200, "text/plain; charset=utf-8", "", 0);
}

/* POST /authorize: Judge0's X-Auth-User check; here, admin tokens are the authorized ones (the
 * route admits only them). */
enum gw_result j0_handle_authorize(struct gw_request *rq)
{
    return gw_reply_text(rq, 200, "text/plain; charset=utf-8", "", 0);
}
