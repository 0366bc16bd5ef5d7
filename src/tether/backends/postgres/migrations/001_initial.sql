-- Tether's own tables (langgraph's checkpointer and store create theirs).
-- JSON columns are `json`, not `jsonb`: values come back with their keys in the order
-- they were written, as the API returns them; filters cast to jsonb.
CREATE TABLE assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    config JSON NOT NULL,
    context JSON NOT NULL,
    metadata JSON NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE assistant_versions (
    assistant_id TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    graph_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    config JSON NOT NULL,
    context JSON NOT NULL,
    metadata JSON NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (assistant_id, version)
);
CREATE TABLE threads (
    thread_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state_updated_at TEXT NOT NULL,
    metadata JSON NOT NULL,
    status TEXT NOT NULL,
    config JSON NOT NULL,
    "values" JSON,
    interrupts JSON,
    error JSON,
    ttl JSON
);
CREATE INDEX threads_created ON threads (created_at);
CREATE INDEX threads_status ON threads (status);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    -- Queue order: insertion order, from the database, whichever process inserted.
    queue_seq BIGINT GENERATED ALWAYS AS IDENTITY,
    thread_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    graph_id TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata JSON NOT NULL,
    kwargs JSON NOT NULL,
    multitask_strategy TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds on the database clock.
    available_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    on_completion TEXT,
    cancel_action TEXT,
    cancel_reason TEXT,
    result JSON,
    ended_at DOUBLE PRECISION,
    assistant JSON,
    lease_owner TEXT,
    lease_expires_at DOUBLE PRECISION
);
CREATE INDEX runs_thread ON runs (thread_id, created_at);
CREATE INDEX runs_inflight ON runs (thread_id, queue_seq) WHERE status IN ('pending', 'running');
CREATE INDEX runs_queue ON runs (available_at, queue_seq) WHERE status = 'pending';
CREATE INDEX runs_leases ON runs (lease_expires_at) WHERE status = 'running';
-- At most one running run per thread, whatever races the claims.
CREATE UNIQUE INDEX runs_one_running_per_thread ON runs (thread_id) WHERE status = 'running';
CREATE TABLE crons (
    cron_id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL,
    thread_id TEXT,
    user_id TEXT,
    schedule TEXT NOT NULL,
    timezone TEXT,
    end_time TEXT,
    payload JSON NOT NULL,
    metadata JSON NOT NULL,
    on_run_completed TEXT,
    enabled BOOLEAN NOT NULL,
    next_run_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled;
-- The event log: ids (ms, seq) allocated per thread from event_clocks, whose row lock is
-- held until the append commits, so ids become visible in order.
CREATE TABLE event_clocks (
    thread_id TEXT PRIMARY KEY,
    ms BIGINT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE events (
    thread_id TEXT NOT NULL,
    ms BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    run_id TEXT,
    event TEXT NOT NULL,
    mode TEXT NOT NULL,
    scope SMALLINT NOT NULL,
    data BYTEA NOT NULL,
    expires_at DOUBLE PRECISION,
    PRIMARY KEY (thread_id, ms, seq)
);
CREATE INDEX events_run ON events (run_id, ms, seq) WHERE run_id IS NOT NULL;
CREATE INDEX events_expiry ON events (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE run_logs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    expires_at DOUBLE PRECISION,
    expired BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX run_logs_thread ON run_logs (thread_id);
CREATE INDEX run_logs_expiry ON run_logs (expires_at) WHERE NOT expired AND expires_at IS NOT NULL;
