-- The store's vectors for exact semantic search (`store.index` without pgvector): one row per
-- item and indexed field, the embedding as float32 of unit length, deleted with its item.
-- Tether created this table at start before this migration: IF NOT EXISTS keeps such a
-- database (and its rows) as it is.
CREATE TABLE IF NOT EXISTS tether_store_vectors (
    prefix TEXT NOT NULL,
    key TEXT NOT NULL,
    field_name TEXT NOT NULL,
    embedding BYTEA NOT NULL,
    PRIMARY KEY (prefix, key, field_name),
    FOREIGN KEY (prefix, key) REFERENCES store (prefix, key) ON DELETE CASCADE
);
