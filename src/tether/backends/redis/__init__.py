"""Redis: live notices between processes (new events, wake-ups, cancels, cron changes).

Redis holds nothing that cannot be lost: events are durable in PostgreSQL, and every
waiter polls behind each notice, so a flushed or restarted Redis costs latency only."""
