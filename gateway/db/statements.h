/* Every SQL statement the gateway runs, by name; prepared once per connection on first use. */
#ifndef GW_STATEMENTS_H
#define GW_STATEMENTS_H

enum db_stmt {
    STMT_TOKEN_LOOKUP,
    STMT_TOKEN_CREATE,
    STMT_TOKEN_LIST,
    STMT_TOKEN_REVOKE,
    STMT_JOBS_INSERT,
    STMT_JOB_BY_IDEM,
    STMT_JOB_GET,
    STMT_JOBS_GET_MANY,
    STMT_JOBS_LIST,
    STMT_JOBS_LIST_ALL,
    STMT_JOB_CANCEL,
    STMT_JOB_STATE,
    STMT_EXECUTOR_UPSERT,
    STMT_EXECUTOR_SEEN,
    STMT_LEASE_CLAIM,
    STMT_LEASE_CLAIM_ONE,
    STMT_LEASE_HEARTBEAT,
    STMT_LEASE_RELEASE,
    STMT_JOB_COMPLETE,
    STMT_JOBS_COMPLETE_MANY,
    STMT_SWEEP_RESCUE,
    STMT_SWEEP_PROMOTE,
    STMT_QUEUE_DEPTH,
    STMT_RUNTIMES_LIVE,
    STMT_NOTIFY,
    /* judging: progress, content-addressed blobs, stored problems, runtime details */
    STMT_PROGRESS_PUT,
    STMT_PROGRESS_GET,
    STMT_BLOBS_PUT,
    STMT_BLOBS_EXIST,
    STMT_BLOB_GET,
    STMT_PROBLEM_UPSERT,
    STMT_PROBLEMS_GET,
    STMT_EXECUTOR_RUNTIME_INFO,
    STMT_RUNTIMES_INFO,
    /* the Judge0 compatibility layer (gateway/judge0/) */
    STMT_J0_GET_MANY,
    STMT_J0_LIST,
    STMT_J0_COUNT,
    STMT_J0_DELETE,
    DB_NSTMT
};

const char *db_stmt_name(enum db_stmt s);
const char *db_stmt_sql(enum db_stmt s);

/* True for statements that only read: safe to run again on a fresh connection. */
int db_stmt_readonly(enum db_stmt s);

#endif
