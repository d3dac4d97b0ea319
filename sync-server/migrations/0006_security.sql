-- Sign-in throttling: failures per account and per client address, with the time until
-- which further attempts are refused (backoff). Kept in the record so every server instance
-- sees the same counters.
CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_failure_at TEXT NOT NULL,
    locked_until TEXT
);
