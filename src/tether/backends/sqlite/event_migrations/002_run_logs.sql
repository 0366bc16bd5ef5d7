CREATE TABLE events_v2 (
    thread_id TEXT NOT NULL,
    ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    run_id TEXT,
    event TEXT NOT NULL,
    mode TEXT NOT NULL,
    scope INTEGER NOT NULL,
    data BLOB NOT NULL,
    expires_at REAL,
    PRIMARY KEY (thread_id, ms, seq)
) WITHOUT ROWID;
INSERT INTO events_v2 (thread_id, ms, seq, run_id, event, mode, scope, data, expires_at)
SELECT thread_id, ms, seq,
       CASE WHEN run_id LIKE 'state:%' THEN NULL ELSE run_id END,
       event, mode, scope, data,
       CASE WHEN run_id LIKE 'state:%' THEN ms / 1000.0 + 604800 ELSE NULL END
FROM events;
CREATE TABLE run_logs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    expires_at REAL,
    expired INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO run_logs (run_id, thread_id, expires_at)
SELECT run_id, thread_id, ms / 1000.0 + 604800 FROM events WHERE scope = 2;
INSERT OR REPLACE INTO run_logs (run_id, thread_id, expires_at, expired)
SELECT run_id, '', NULL, 1 FROM purged_logs;
DROP TABLE purged_logs;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_run ON events (run_id, ms, seq);
CREATE INDEX events_expiry ON events (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX run_logs_thread ON run_logs (thread_id);
CREATE INDEX run_logs_expiry ON run_logs (expires_at) WHERE expired = 0 AND expires_at IS NOT NULL
