/*
 * The Judge0 CE v1.13.1 compatibility layer: Judge0's API mapped onto jobs, so a contest frontend
 * written for Judge0 works unchanged. A submission is a `program` job (one run with stdin, compared
 * with expected_output by the `lines` checker, which is Judge0's own comparison); its token is the
 * job id, so every program job can be read through /submissions too. Design and deliberate
 * differences: README.md beside this file.
 */
#ifndef GW_JUDGE0_H
#define GW_JUDGE0_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "gateway.h"
#include "jobs/job_spec.h"

/* Judge0's configuration as this gateway applies it (GET /config_info): Judge0's defaults, with
 * each maximum also capped by the gateway's own --max-* limits. */
struct j0_config {
    double cpu_time_limit, max_cpu_time_limit;     /* s */
    double cpu_extra_time, max_cpu_extra_time;     /* s; accepted, not used (see README) */
    double wall_time_limit, max_wall_time_limit;   /* s */
    long memory_limit, max_memory_limit;           /* KB */
    long stack_limit, max_stack_limit;             /* KB; accepted, not used */
    long max_processes, max_max_processes;
    long max_file_size, max_max_file_size;         /* KB: the output limit */
    long number_of_runs, max_number_of_runs;       /* accepted; every submission runs once */
    long max_batch;                                /* MAX_SUBMISSION_BATCH_SIZE */
};
void j0_config_of(const struct gw_config *cfg, struct j0_config *out);

/* The languages we have, under Judge0's ids. */
struct j0_language {
    int id;
    const char *name;
    const char *runtime;     /* the jobgate runtime */
    const char *source_file;
    const char *compile_cmd; /* NULL: interpreted */
    const char *run_cmd;
};
const struct j0_language *j0_language_by_id(long id);
const struct j0_language *j0_language_by_runtime(const char *runtime);
extern const struct j0_language j0_languages[];
extern const int j0_nlanguages;

/* Judge0's 14 statuses. */
const char *j0_status_name(int id);

/* --- a submission's body -> a job --- */

/**
 * Validate one Judge0 submission (Rails semantics: unknown attributes ignored, numbers in strings
 * accepted, every error collected) and turn it into a validated job. With @p b64, source_code,
 * stdin and expected_output are base64 (decoded leniently, as Ruby does). Returns 0 with @p out
 * filled (gw_job_input_free), 1 with *errors set to Judge0's errors object {"field": ["message"]}
 * (a new reference), or -1 when the gateway itself failed (out of memory; @p p says so).
 */
int j0_submission_parse(const json_t *body, bool b64, const struct gw_config *cfg,
                        const struct gw_catalog *cat, struct gw_job_input *out, json_t **errors,
                        struct gw_problem *p);

/* --- a job -> a submission --- */

/* Columns of the STMT_J0_* statements. */
enum j0_col {
    J0C_ID, J0C_STATUS, J0C_VERDICT, J0C_RUNTIME, J0C_CREATED, J0C_FINISHED, J0C_RESULT,
    J0C_SPEC, J0C_STARTED, J0C_INTERNAL
};

/* Which attributes to show (?fields=), parsed once per request. */
struct j0_fields {
    unsigned long long mask; /* bit i: j0_field_names[i] */
    bool needs_spec;         /* some attribute comes from the job's spec */
};

/**
 * Parse ?fields= (NULL or "": Judge0's 8 default fields; "*": all). Returns 0, or -1 with the
 * unknown names in @p invalid ("a, b") for Judge0's 400.
 */
int j0_fields_parse(const char *fields, struct j0_fields *out, char *invalid, size_t len);

/* The fields Judge0 sends by default: token, time, memory, stdout, stderr, compile_output,
 * message, status. */
void j0_fields_default(struct j0_fields *out);

/**
 * Row @p row of @p r as a Judge0 submission with the fields asked for; text attributes base64
 * (Ruby's encode64 layout) when @p b64. Returns a new object, or NULL with *not_utf8 set when a
 * text attribute is not UTF-8 and @p b64 is false (Judge0's 400), or NULL on ENOMEM.
 */
json_t *j0_submission_json(const PGresult *r, int row, const struct j0_fields *f, bool b64,
                           bool *not_utf8);

/* Judge0 status id of a job row (1 In Queue ... 14). */
int j0_status_of_row(const PGresult *r, int row);

/* --- replies --- */

/* {"error": message} with @p status (Judge0's error shape). */
enum gw_result j0_reply_error(struct gw_request *rq, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "true" in the query parameter @p name (Judge0: only the exact string "true" counts). */
bool j0_query_true(struct gw_request *rq, const char *name);

/* The message of a UTF-8 conversion failure. */
#define J0_NOT_UTF8                                                                              \
    "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true " \
    "query parameter"
#define J0_NOT_UTF8_MANY                                                                         \
    "some attributes for one or more submissions cannot be converted to UTF-8, use "             \
    "base64_encoded=true query parameter"

/* Handlers (one file per group of endpoints). */
enum gw_result j0_handle_submissions_create(struct gw_request *rq);
enum gw_result j0_handle_submissions_get(struct gw_request *rq);
enum gw_result j0_handle_submissions_list(struct gw_request *rq);
enum gw_result j0_handle_submissions_delete(struct gw_request *rq);
enum gw_result j0_handle_batch_create(struct gw_request *rq);
enum gw_result j0_handle_batch_get(struct gw_request *rq);
enum gw_result j0_handle_languages(struct gw_request *rq);
enum gw_result j0_handle_languages_all(struct gw_request *rq);
enum gw_result j0_handle_language(struct gw_request *rq);
enum gw_result j0_handle_statuses(struct gw_request *rq);
enum gw_result j0_handle_about(struct gw_request *rq);
enum gw_result j0_handle_version(struct gw_request *rq);
enum gw_result j0_handle_config_info(struct gw_request *rq);
enum gw_result j0_handle_system_info(struct gw_request *rq);
enum gw_result j0_handle_workers(struct gw_request *rq);
enum gw_result j0_handle_authenticate(struct gw_request *rq);
enum gw_result j0_handle_authorize(struct gw_request *rq);

#endif
