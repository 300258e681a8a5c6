/*
 * The gateway's SQL, in one place. Design notes (db/README.md): claims and heartbeats touch only
 * the small job_queue table; claims lock their picks (FOR UPDATE SKIP LOCKED) in a subquery that
 * runs once (an InitPlan, or a materialized CTE); fences are on the lease token, never on state.
 */
#include "statements.h"

struct stmt {
    const char *name;
    const char *sql;
};

/* Columns of a job as handlers read them; keep in step with gw_job_row_to_json(). */
#define JOB_COLUMNS                                                                              \
    "j.public_id, j.tenant, j.runtime, j.kind, j.priority, j.max_attempts, j.labels, "          \
    "CASE WHEN j.status <> 'queued' THEN j.status WHEN q.state = 'running' THEN 'running' "   \
    "ELSE 'queued' END, "                                                                       \
    "j.verdict, coalesce(q.attempts, j.attempts), j.created_at, "                               \
    "coalesce(j.started_at, q.claimed_at), j.finished_at, j.limits, j.result, j.id"

static const struct stmt stmts[DB_NSTMT] = {
    [STMT_TOKEN_LOOKUP] = {"token_lookup",
                           "SELECT id, tenant, role FROM tokens "
                           "WHERE secret_hash = decode($1, 'hex') AND revoked_at IS NULL"},
    [STMT_TOKEN_CREATE] = {"token_create",
                           "INSERT INTO tokens (name, tenant, role, secret_hash, prefix) "
                           "VALUES ($1, $2, $3, decode($4, 'hex'), $5) RETURNING id, created_at"},
    [STMT_TOKEN_LIST] = {"token_list",
                         "SELECT id, name, tenant, role, prefix, created_at, revoked_at "
                         "FROM tokens ORDER BY id"},
    [STMT_TOKEN_REVOKE] = {"token_revoke",
                           "WITH r AS (UPDATE tokens SET revoked_at = now() "
                           "           WHERE id = $1::bigint AND revoked_at IS NULL RETURNING id) "
                           "SELECT r.id, pg_notify('jobgate', 'r') FROM r"},
    /* Submit many jobs in one statement (one commit). Input arrays are parallel; ORDER BY ord keeps
     * identity values in request order. Idempotency conflicts are skipped and reported by absence. */
    /* Submit many jobs in one statement (one commit), possibly for several requests and tenants:
     * the submitter group-commits concurrent submits. Input arrays are parallel; ORDER BY ord
     * assigns identity values in input order, so output row i is input i (when none conflicts).
     * Idempotency conflicts are skipped and reported by absence. */
    [STMT_JOBS_INSERT] =
        {"jobs_insert",
         "WITH input AS ("
         "  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::smallint[],"
         "                       $6::smallint[], $7::jsonb[], $8::text[], $9::text[], $10::text[],"
         "                       $11::text[])"
         "  WITH ORDINALITY AS t(tenant, token_id, runtime, kind, priority, max_attempts, labels,"
         "                       idem_key, idem_hash, spec, limits, ord)),"
         " j AS (INSERT INTO jobs (tenant, token_id, runtime, kind, priority, max_attempts, labels,"
         "                         idem_key, idem_hash, spec, limits)"
         "       SELECT tenant, token_id, runtime, kind, priority, max_attempts, labels, idem_key,"
         "              decode(idem_hash, 'hex'), spec, limits FROM input ORDER BY ord"
         "       ON CONFLICT (tenant, idem_key) WHERE idem_key IS NOT NULL DO NOTHING"
         "       RETURNING id, public_id, runtime, priority, max_attempts, created_at, idem_key),"
         " q AS (INSERT INTO job_queue (job_id, runtime, priority, max_attempts)"
         "       SELECT id, runtime, priority, max_attempts FROM j)"
         "SELECT public_id, created_at, idem_key, id FROM j ORDER BY id"},
    [STMT_JOB_BY_IDEM] = {"job_by_idem",
                          "SELECT " JOB_COLUMNS ", encode(j.idem_hash, 'hex') "
                          "FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
                          "WHERE j.tenant = $1 AND j.idem_key = ANY($2::text[]) ORDER BY j.id"},
    [STMT_JOB_GET] = {"job_get",
                      "SELECT " JOB_COLUMNS " FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
                      "WHERE j.public_id = $1::uuid AND ($2::text IS NULL OR j.tenant = $2)"},
    [STMT_JOBS_GET_MANY] = {"jobs_get_many",
                            "SELECT " JOB_COLUMNS " FROM jobs j "
                            "LEFT JOIN job_queue q ON q.job_id = j.id "
                            "WHERE j.public_id = ANY ($1::uuid[]) "
                            "AND ($2::text IS NULL OR j.tenant = $2)"},
    /* Own jobs, newest first, keyset-paginated by the internal id; status and labels filter. */
    [STMT_JOBS_LIST] =
        {"jobs_list",
         "SELECT " JOB_COLUMNS " FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
         "WHERE j.tenant = $1 AND j.id < $2::bigint AND ($3::jsonb IS NULL OR j.labels @> $3) "
         "AND ($4::text IS NULL OR $4 = CASE WHEN j.status <> 'queued' THEN j.status "
         "     WHEN q.state = 'running' THEN 'running' ELSE 'queued' END) "
         "ORDER BY j.id DESC LIMIT $5::int"},
    [STMT_JOBS_LIST_ALL] =
        {"jobs_list_all",
         "SELECT " JOB_COLUMNS " FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
         "WHERE j.id < $2::bigint AND ($1::text IS NULL OR j.tenant = $1) "
         "AND ($3::jsonb IS NULL OR j.labels @> $3) "
         "AND ($4::text IS NULL OR $4 = CASE WHEN j.status <> 'queued' THEN j.status "
         "     WHEN q.state = 'running' THEN 'running' ELSE 'queued' END) "
         "ORDER BY j.id DESC LIMIT $5::int"},
    /* Cancel: the queue row goes (a running job's executor learns it at its next heartbeat). */
    [STMT_JOB_CANCEL] =
        {"job_cancel",
         "WITH d AS (DELETE FROM job_queue q USING jobs j "
         "           WHERE q.job_id = j.id AND j.public_id = $1::uuid "
         "             AND ($2::text IS NULL OR j.tenant = $2) "
         "           RETURNING q.job_id, q.state, q.attempts, q.claimed_at) "
         "UPDATE jobs j SET status = 'cancelled', finished_at = now(), attempts = d.attempts, "
         "                  started_at = d.claimed_at "
         "FROM d WHERE j.id = d.job_id RETURNING j.public_id, d.state"},
    [STMT_JOB_STATE] = {"job_state",
                        "SELECT CASE WHEN j.status <> 'queued' THEN j.status "
                        "            WHEN q.state = 'running' THEN 'running' ELSE 'queued' END,"
                        "       j.final_lease, j.id "
                        "FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
                        "WHERE j.public_id = $1::uuid AND ($2::text IS NULL OR j.tenant = $2)"},
    [STMT_EXECUTOR_UPSERT] =
        {"executor_upsert",
         "INSERT INTO executors AS e (id, name, token_id, runtimes, slots) "
         "VALUES ($1::uuid, $2, $3::bigint, $4::text[], $5::int) "
         "ON CONFLICT (id) DO UPDATE SET name = excluded.name, runtimes = excluded.runtimes, "
         "  slots = excluded.slots, last_seen = now() "
         "WHERE e.token_id = excluded.token_id RETURNING id"},
    [STMT_EXECUTOR_SEEN] = {"executor_seen",
                            "UPDATE executors SET last_seen = now() "
                            "WHERE id = $1::uuid AND token_id = $2::bigint RETURNING id"},
    /* Claim for many parked executors of one runtime set $1 at once: executor ids $2, max_jobs $3
     * and lease ms $4, in arrival order. Up to sum($3) jobs are picked best priority first, then
     * oldest (a LATERAL walks each runtime's slice of the ready index, so a backlog of other
     * runtimes costs nothing), and the k-th job goes to the k-th slot: the first executor gets the
     * best max_jobs jobs, and so on. "picked" is materialized, so its locking scan runs once; the
     * UPDATE finds its rows through "= ANY (ARRAY(...))", by the key index whatever the planner
     * guesses of the CTEs' sizes. Rows come back by slot with the executor's ordinal. */
    [STMT_LEASE_CLAIM] =
        {"lease_claim",
         "WITH w AS (SELECT * FROM unnest($2::uuid[], $3::int[], $4::int[]) WITH ORDINALITY"
         "   AS w(executor_id, n, lease_ms, ord)),"
         " slots AS (SELECT w.ord, w.executor_id, w.lease_ms,"
         "   row_number() OVER (ORDER BY w.ord, g) AS slot"
         "   FROM w CROSS JOIN LATERAL generate_series(1, w.n) g),"
         " picked AS MATERIALIZED (SELECT c.job_id,"
         "   row_number() OVER (ORDER BY c.priority DESC, c.job_id) AS slot"
         "   FROM (SELECT DISTINCT unnest($1::text[])) AS r(rt) CROSS JOIN LATERAL ("
         "     SELECT q.job_id, q.priority FROM job_queue q"
         "     WHERE q.state = 'queued' AND q.runtime = r.rt"
         "     ORDER BY q.priority DESC, q.job_id LIMIT (SELECT sum(n) FROM w)"
         "     FOR UPDATE SKIP LOCKED) c"
         "   ORDER BY c.priority DESC, c.job_id LIMIT (SELECT sum(n) FROM w)),"
         " assigned AS MATERIALIZED (SELECT p.job_id, p.slot, s.ord, s.executor_id, s.lease_ms"
         "   FROM picked p JOIN slots s ON s.slot = p.slot),"
         " claimed AS (UPDATE job_queue q SET state = 'running', attempts = q.attempts + 1,"
         "    executor_id = a.executor_id, lease_token = gen_random_uuid(), claimed_at = now(),"
         "    lease_until = clock_timestamp() + a.lease_ms * interval '1 millisecond'"
         "  FROM assigned a WHERE q.job_id = ANY (ARRAY(SELECT job_id FROM assigned))"
         "    AND q.job_id = a.job_id"
         "  RETURNING q.job_id, q.attempts, q.lease_token, q.lease_until, a.ord, a.slot) "
         "SELECT c.ord, j.public_id, c.attempts, c.lease_token, c.lease_until, j.runtime, j.kind,"
         "       j.max_attempts, j.spec, j.labels "
         "FROM claimed c JOIN jobs j ON j.id = c.job_id ORDER BY c.slot"},
    /* The same for one executor (arrays of one): without the slots to join, a plain
     * "= ANY (ARRAY(...))" claim; a lone waiter's round trip was a tenth slower with the above. */
    [STMT_LEASE_CLAIM_ONE] =
        {"lease_claim_one",
         "WITH picked AS ("
         "  SELECT c.job_id FROM (SELECT DISTINCT unnest($1::text[])) AS r(rt) CROSS JOIN LATERAL ("
         "    SELECT q.job_id, q.priority FROM job_queue q"
         "    WHERE q.state = 'queued' AND q.runtime = r.rt"
         "    ORDER BY q.priority DESC, q.job_id LIMIT ($3::int[])[1] FOR UPDATE SKIP LOCKED) c"
         "  ORDER BY c.priority DESC, c.job_id LIMIT ($3::int[])[1]),"
         " claimed AS (UPDATE job_queue q SET state = 'running', attempts = q.attempts + 1,"
         "    executor_id = ($2::uuid[])[1], lease_token = gen_random_uuid(), claimed_at = now(),"
         "    lease_until = clock_timestamp() + ($4::int[])[1] * interval '1 millisecond'"
         "  WHERE q.job_id = ANY (ARRAY(SELECT job_id FROM picked))"
         "  RETURNING q.job_id, q.attempts, q.lease_token, q.lease_until) "
         "SELECT 1, j.public_id, c.attempts, c.lease_token, c.lease_until, j.runtime, j.kind,"
         "       j.max_attempts, j.spec, j.labels "
         "FROM claimed c JOIN jobs j ON j.id = c.job_id ORDER BY j.priority DESC, j.id"},
    /* Extend the leases this executor still holds; absent rows tell it which runs to kill. */
    [STMT_LEASE_HEARTBEAT] =
        {"lease_heartbeat",
         "WITH input AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS t(public_id, lease)),"
         " ext AS (UPDATE job_queue q"
         "   SET lease_until = clock_timestamp() + $4::int * interval '1 millisecond'"
         "   FROM input i JOIN jobs j ON j.public_id = i.public_id"
         "   WHERE q.job_id = j.id AND q.lease_token = i.lease AND q.executor_id = $1::uuid"
         "   RETURNING j.public_id, q.lease_token, q.lease_until) "
         "SELECT i.public_id, e.lease_until, j.status FROM input i"
         " LEFT JOIN ext e ON e.public_id = i.public_id AND e.lease_token = i.lease"
         " LEFT JOIN jobs j ON j.public_id = i.public_id"},
    /* Hand leases back unrun (executor shutdown): queued again at once, the attempt not counted. */
    [STMT_LEASE_RELEASE] =
        {"lease_release",
         "WITH input AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS t(public_id, lease)) "
         "UPDATE job_queue q SET state = 'queued', attempts = greatest(q.attempts - 1, 0),"
         "  executor_id = NULL, lease_token = NULL, lease_until = NULL "
         "FROM input i JOIN jobs j ON j.public_id = i.public_id "
         "WHERE q.job_id = j.id AND q.lease_token = i.lease AND q.executor_id = $1::uuid "
         "RETURNING j.public_id, q.runtime"},
    /* Record a result: only the current lease holder's, exactly once (the queue row goes). */
    [STMT_JOB_COMPLETE] =
        {"job_complete",
         "WITH d AS (DELETE FROM job_queue q USING jobs j "
         "           WHERE j.public_id = $1::uuid AND q.job_id = j.id AND q.lease_token = $2::uuid"
         "           RETURNING q.job_id, q.attempts, q.claimed_at) "
         "UPDATE jobs j SET status = $3, verdict = $4, result = $5, attempts = d.attempts,"
         "  started_at = d.claimed_at, finished_at = now(), final_lease = $2::uuid "
         "FROM d WHERE j.id = d.job_id RETURNING j.public_id"},
    /* Many results in one statement and one commit (POST /executor/results), same fence. */
    [STMT_JOBS_COMPLETE_MANY] =
        {"jobs_complete_many",
         "WITH input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],"
         "                                    $5::text[]) AS t(public_id, lease, status, verdict,"
         "                                                     result)),"
         " d AS (DELETE FROM job_queue q USING jobs j, input i"
         "       WHERE j.public_id = i.public_id AND q.job_id = j.id AND q.lease_token = i.lease"
         "       RETURNING q.job_id, q.attempts, q.claimed_at, q.lease_token),"
         " u AS (UPDATE jobs j SET status = i.status, verdict = i.verdict, result = i.result,"
         "         attempts = d.attempts, started_at = d.claimed_at, finished_at = now(),"
         "         final_lease = d.lease_token"
         "       FROM d JOIN input i ON i.lease = d.lease_token"
         "       WHERE j.id = d.job_id RETURNING j.public_id) "
         "SELECT public_id::text FROM u"},
    /* Expired leases: back to the queue after a back-off, or failed when out of attempts. */
    [STMT_SWEEP_RESCUE] =
        {"sweep_rescue",
         "WITH x AS (SELECT ARRAY(SELECT job_id FROM job_queue"
         "                        WHERE state = 'running' AND lease_until < clock_timestamp()"
         "                        LIMIT 1000 FOR UPDATE SKIP LOCKED) AS ids),"
         " dead AS (DELETE FROM job_queue q WHERE q.job_id = ANY ((SELECT ids FROM x)::bigint[])"
         "            AND q.attempts >= q.max_attempts"
         "          RETURNING q.job_id, q.attempts, q.claimed_at),"
         " again AS (UPDATE job_queue q SET state = 'scheduled', executor_id = NULL,"
         "            lease_token = NULL, lease_until = NULL, last_error = 'lease expired',"
         "            run_at = clock_timestamp() + least($2::bigint,"
         "                     $1::bigint * (2 ^ least(q.attempts - 1, 30))::bigint)"
         "                     * interval '1 millisecond'"
         "          WHERE q.job_id = ANY ((SELECT ids FROM x)::bigint[])"
         "            AND q.attempts < q.max_attempts"
         "          RETURNING q.job_id),"
         " failed AS (UPDATE jobs j SET status = 'failed', attempts = dead.attempts,"
         "            started_at = dead.claimed_at, finished_at = now(),"
         "            result = json_build_object('error', json_build_object("
         "              'type', 'LeaseExpired', 'message', 'the executor stopped renewing its lease"
         " on attempt ' || dead.attempts || ' of ' || j.max_attempts))::text"
         "          FROM dead WHERE j.id = dead.job_id RETURNING j.public_id)"
         "SELECT (SELECT count(*) FROM again), ARRAY(SELECT public_id::text FROM failed)"},
    [STMT_SWEEP_PROMOTE] =
        {"sweep_promote",
         "UPDATE job_queue SET state = 'queued' WHERE job_id = ANY (ARRAY("
         "  SELECT job_id FROM job_queue WHERE state = 'scheduled' AND run_at <= clock_timestamp()"
         "  ORDER BY run_at LIMIT 1000 FOR UPDATE SKIP LOCKED)) RETURNING runtime"},
    [STMT_QUEUE_DEPTH] = {"queue_depth",
                          "SELECT runtime, state, count(*) FROM job_queue GROUP BY 1, 2"},
    [STMT_RUNTIMES_LIVE] =
        {"runtimes_live",
         "SELECT rt, count(*), sum(slots) FROM executors, unnest(runtimes) AS rt "
         "WHERE last_seen > now() - $1::int * interval '1 second' GROUP BY rt ORDER BY rt"},
    [STMT_NOTIFY] = {"notify", "SELECT pg_notify('jobgate', $1)"},

    /* --- judging (db/migrations/0002_judging.sql) --- */

    /* Tests finished so far, from the current lease holder only. FOR KEY SHARE holds the queue
     * row against a concurrent end (cancel, rescue) until the row references it. */
    [STMT_PROGRESS_PUT] =
        {"progress_put",
         "WITH q AS (SELECT q.job_id, q.lease_token FROM job_queue q JOIN jobs j ON j.id = q.job_id"
         "           WHERE j.public_id = $1::uuid AND q.lease_token = $2::uuid FOR KEY SHARE OF q) "
         "INSERT INTO job_progress AS p (job_id, lease, done, total, tests)"
         " SELECT job_id, lease_token, $3::int, $4::int, $5 FROM q "
         "ON CONFLICT (job_id) DO UPDATE SET lease = excluded.lease, done = excluded.done,"
         "  total = excluded.total, tests = excluded.tests, updated_at = now() "
         "RETURNING p.job_id"},
    /* The progress of a running job (internal id), if its writer still holds the lease. */
    [STMT_PROGRESS_GET] = {"progress_get",
                           "SELECT p.done, p.total, p.tests FROM job_progress p "
                           "JOIN job_queue q ON q.job_id = p.job_id AND q.lease_token = p.lease "
                           "WHERE p.job_id = $1::bigint"},
    /* Content-addressed data: parallel arrays of hex digests, sizes and base64 data. */
    [STMT_BLOBS_PUT] = {"blobs_put",
                        "INSERT INTO blobs (sha256, size, data) "
                        "SELECT decode(h, 'hex'), s, decode(d, 'base64') "
                        "FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(h, s, d) "
                        "ON CONFLICT (sha256) DO NOTHING"},
    [STMT_BLOBS_EXIST] = {"blobs_exist",
                          "SELECT encode(sha256, 'hex'), size FROM blobs "
                          "WHERE sha256 = ANY (ARRAY(SELECT decode(h, 'hex') "
                          "                          FROM unnest($1::text[]) AS h))"},
    [STMT_BLOB_GET] = {"blob_get", "SELECT data FROM blobs WHERE sha256 = decode($1, 'hex')"},
    /* Create or replace a problem; the version moves only when something changed. */
    [STMT_PROBLEM_UPSERT] =
        {"problem_upsert",
         "INSERT INTO problems AS p (name, manifest, doc, limits) "
         "VALUES ($1, decode($2, 'hex'), $3, $4) "
         "ON CONFLICT (name) DO UPDATE SET version = p.version + 1, manifest = excluded.manifest,"
         "  doc = excluded.doc, limits = excluded.limits, updated_at = now() "
         "WHERE p.manifest <> excluded.manifest OR p.doc <> excluded.doc "
         "   OR p.limits <> excluded.limits "
         "RETURNING (xmax = 0)"},
    [STMT_PROBLEMS_GET] = {"problems_get",
                           "SELECT name, version, encode(manifest, 'hex'), doc, limits, created_at,"
                           "       updated_at FROM problems WHERE name = ANY ($1::text[])"},
    [STMT_EXECUTOR_RUNTIME_INFO] = {"executor_runtime_info",
                                    "UPDATE executors SET runtime_info = $3::jsonb "
                                    "WHERE id = $1::uuid AND token_id = $2::bigint"},
    /* What live executors report for each runtime (distinct reports). */
    [STMT_RUNTIMES_INFO] =
        {"runtimes_info",
         "SELECT DISTINCT rt, (runtime_info -> rt)::text FROM executors, unnest(runtimes) AS rt "
         "WHERE last_seen > now() - $1::int * interval '1 second' AND runtime_info ? rt "
         "ORDER BY 1, 2"},

    /* --- Judge0 submissions: program jobs seen through gateway/judge0/ --- */
#define J0_COLUMNS                                                                               \
    "j.public_id, CASE WHEN j.status <> 'queued' THEN j.status WHEN q.state = 'running' "       \
    "THEN 'running' ELSE 'queued' END, j.verdict, j.runtime, j.created_at, j.finished_at, "     \
    "j.result, CASE WHEN $3::bool THEN j.spec END, coalesce(j.started_at, q.claimed_at), j.id"
    [STMT_J0_GET_MANY] = {"j0_get_many",
                          "SELECT " J0_COLUMNS " FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
                          "WHERE j.public_id = ANY ($1::uuid[]) AND j.kind = 'program' "
                          "AND ($2::text IS NULL OR j.tenant = $2)"},
    /* Judge0's page/per_page listing, newest first. */
    [STMT_J0_LIST] = {"j0_list",
                      "SELECT " J0_COLUMNS " FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id "
                      "WHERE ($1::text IS NULL OR j.tenant = $1) AND j.kind = 'program' "
                      "ORDER BY j.id DESC LIMIT $2::int OFFSET $4::bigint"},
    [STMT_J0_COUNT] = {"j0_count",
                       "SELECT count(*) FROM jobs "
                       "WHERE ($1::text IS NULL OR tenant = $1) AND kind = 'program'"},
    /* DELETE /submissions/<token>: only a finished job (no queue row) goes. */
    [STMT_J0_DELETE] = {"j0_delete",
                        "DELETE FROM jobs j WHERE j.public_id = $1::uuid AND j.kind = 'program' "
                        "AND ($2::text IS NULL OR j.tenant = $2) "
                        "AND NOT EXISTS (SELECT 1 FROM job_queue q WHERE q.job_id = j.id) "
                        "RETURNING j.public_id, j.status, j.verdict, j.runtime, j.created_at,"
                        "  j.finished_at, j.result, CASE WHEN $3::bool THEN j.spec END,"
                        "  j.started_at, j.id"},
#undef J0_COLUMNS
};

const char *db_stmt_name(enum db_stmt s)
{
    return stmts[s].name;
}

const char *db_stmt_sql(enum db_stmt s)
{
    return stmts[s].sql;
}

int db_stmt_readonly(enum db_stmt s)
{
    switch (s) {
    case STMT_TOKEN_LOOKUP:
    case STMT_TOKEN_LIST:
    case STMT_JOB_BY_IDEM:
    case STMT_JOB_GET:
    case STMT_JOBS_GET_MANY:
    case STMT_JOBS_LIST:
    case STMT_JOBS_LIST_ALL:
    case STMT_JOB_STATE:
    case STMT_QUEUE_DEPTH:
    case STMT_RUNTIMES_LIVE:
    case STMT_PROGRESS_GET:
    case STMT_BLOBS_EXIST:
    case STMT_BLOB_GET:
    case STMT_PROBLEMS_GET:
    case STMT_RUNTIMES_INFO:
    case STMT_J0_GET_MANY:
    case STMT_J0_LIST:
    case STMT_J0_COUNT:
        return 1;
    default:
        return 0;
    }
}
