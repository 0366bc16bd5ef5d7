CREATE TABLE events (
    thread_id TEXT NOT NULL,
    ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    event TEXT NOT NULL,
    mode TEXT NOT NULL,
    scope INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (thread_id, ms, seq)
) WITHOUT ROWID;
CREATE INDEX events_run ON events (run_id, ms, seq);
CREATE INDEX events_ends ON events (scope, ms)
;
CREATE TABLE purged_logs (
    run_id TEXT PRIMARY KEY,
    purged_at REAL NOT NULL
)
