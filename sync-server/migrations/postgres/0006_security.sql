-- PostgreSQL dialect of ../0006_security.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- Sign-in throttling: failures per account and per client address, with the time until
-- which further attempts are refused (backoff). Kept in the record so every server instance
-- sees the same counters.
CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_failure_at TEXT NOT NULL,
    locked_until TEXT
);
