CREATE TABLE webhook_outbox (
    delivery_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    url TEXT NOT NULL,
    payload BYTEA NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Unix seconds on the database clock.
    due_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (due_at);
