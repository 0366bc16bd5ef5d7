-- The W3C trace context of the request that created a run, when traces are on.
ALTER TABLE runs ADD COLUMN trace_context JSON;
