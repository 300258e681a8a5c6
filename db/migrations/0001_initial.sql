-- jobgate schema, version 1.
-- Two tables carry the queue (see db/README.md): `jobs`, the permanent record, written at submit and
-- once more (a HOT update) when the job ends; and `job_queue`, the small hot table of unfinished jobs
-- that claims, heartbeats and rescues rewrite. Payloads and results never live in `job_queue`.

CREATE TABLE tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    tenant       text NOT NULL,
    role         text NOT NULL CHECK (role IN ('client', 'executor', 'admin')),
    secret_hash  bytea NOT NULL UNIQUE,          -- sha256 of the secret; the secret is never stored
    prefix       text NOT NULL,                  -- first characters, to recognise a token in listings
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- internal, time-ordered
    public_id     uuid NOT NULL DEFAULT gen_random_uuid(),           -- what clients see: not guessable
    tenant        text NOT NULL,
    token_id      bigint NOT NULL,
    runtime       text NOT NULL,
    kind          text NOT NULL,
    priority      smallint NOT NULL,
    max_attempts  smallint NOT NULL,
    labels        jsonb NOT NULL DEFAULT '{}',
    idem_key      text,
    idem_hash     bytea,
    spec          text NOT NULL,                 -- the validated job as JSON, handed to executors
    limits        text NOT NULL,                 -- the effective limits (JSON), shown with the job
    -- Columns below are rewritten once when the job ends; none is indexed, so that update is HOT.
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'completed', 'failed', 'cancelled')),
    verdict       text,
    attempts      smallint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    final_lease   uuid,                          -- the lease whose result was recorded (idempotent retries)
    result        text                           -- the executor's result document (JSON)
) WITH (fillfactor = 80);

CREATE UNIQUE INDEX jobs_public_id ON jobs (public_id);
CREATE UNIQUE INDEX jobs_idem ON jobs (tenant, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX jobs_tenant ON jobs (tenant, id);

CREATE TABLE job_queue (
    job_id        bigint PRIMARY KEY,
    runtime       text NOT NULL,
    priority      smallint NOT NULL,
    state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'scheduled', 'running')),
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempts      smallint NOT NULL DEFAULT 0,   -- +1 per claim
    max_attempts  smallint NOT NULL,
    executor_id   uuid,
    lease_token   uuid,                          -- fencing token: results must carry it
    lease_until   timestamptz,                   -- deliberately not indexed: heartbeats stay HOT
    claimed_at    timestamptz,
    last_error    text
) WITH (fillfactor = 70,
        autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
        autovacuum_vacuum_cost_delay = 0,
        autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 2000);

-- Partial indexes: each holds only the rows of one state, so they stay small however many jobs finished.
CREATE INDEX job_queue_ready ON job_queue (runtime, priority DESC, job_id) WHERE state = 'queued';
CREATE INDEX job_queue_scheduled ON job_queue (run_at) WHERE state = 'scheduled';
CREATE INDEX job_queue_running ON job_queue (executor_id) WHERE state = 'running';

CREATE TABLE executors (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    token_id    bigint NOT NULL,
    runtimes    text[] NOT NULL,
    slots       integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);
