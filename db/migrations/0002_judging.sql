-- jobgate schema, version 2: judging (see db/README.md, "Judging").
-- Test data is content-addressed: `blobs` holds each distinct byte string once, by its SHA-256.
-- A stored problem is a name pointing at a manifest blob (the test list by hash, checker, scoring);
-- a job names the manifest it was submitted against, so re-uploading a problem never changes the
-- tests of a job already queued. Progress of a running job lives beside the queue, not in it.

CREATE TABLE blobs (
    sha256      bytea PRIMARY KEY CHECK (length(sha256) = 32),
    size        bigint NOT NULL,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- Test data is already compressed or incompressible noise more often than not; store it as is.
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE problems (
    name        text PRIMARY KEY,
    version     integer NOT NULL DEFAULT 1,
    manifest    bytea NOT NULL REFERENCES blobs (sha256),  -- the current manifest blob
    doc         text NOT NULL,                             -- what GET /problems/<name> shows (JSON)
    limits      text NOT NULL,                             -- default limits of its jobs (JSON, may be {})
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Tests finished so far by the run holding the lease (PUT /jobs/<id>/progress). One narrow row per
-- running judged job; it goes with the queue row (ON DELETE CASCADE), so job_queue stays as it was
-- and nothing has to clean up after a job ends. A rescued job's stale row is fenced by `lease`.
CREATE TABLE job_progress (
    job_id      bigint PRIMARY KEY REFERENCES job_queue (job_id) ON DELETE CASCADE,
    lease       uuid NOT NULL,
    done        integer NOT NULL,
    total       integer NOT NULL,
    tests       text NOT NULL,                             -- JSON array of the finished tests
    updated_at  timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);

-- What each executor runs for a runtime: compiler or interpreter version and command (GET /runtimes).
ALTER TABLE executors ADD COLUMN runtime_info jsonb;
