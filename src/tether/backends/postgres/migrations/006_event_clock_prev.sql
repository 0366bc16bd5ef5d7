-- Each append records, under the clock's row lock, the id the thread's log ended at
-- before it (NULL: the log was empty). The news of the append carries it, so a reader at
-- exactly that id knows the news's events follow on without a gap and needs no query.
ALTER TABLE event_clocks ADD COLUMN prev_ms BIGINT, ADD COLUMN prev_seq INTEGER;
