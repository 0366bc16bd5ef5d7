-- The advisory lock key of the claiming worker's presence mark: a session lock the worker
-- holds on a connection of its own, which PostgreSQL drops the moment the worker's process
-- dies. NULL: the worker holds none (only its lease says whether it lives).
ALTER TABLE runs ADD COLUMN lease_lock BIGINT;
