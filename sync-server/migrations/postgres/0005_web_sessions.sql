-- PostgreSQL dialect of ../0005_web_sessions.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- Sign-in sessions of the review pages (supervisors and rating officers at a desk). The
-- token is stored hashed; each session has its own CSRF token; sessions expire.
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);

-- The review queue: newest first, by inspector, by subject.
CREATE INDEX inspections_agency_started ON inspections(agency_id, started_at DESC);
CREATE INDEX inspections_agency_inspector ON inspections(agency_id, inspector_id, started_at DESC);
CREATE INDEX inspections_agency_subject ON inspections(agency_id, subject_id, started_at DESC);
-- The board's last inspection of each subject (covering).
CREATE INDEX inspections_agency_subject_status ON inspections(agency_id, subject_id, status, started_at);
-- The inspection a reinspection follows up (the board's reinspections owed).
ALTER TABLE inspections ADD COLUMN follows TEXT;
CREATE INDEX inspections_follows ON inspections(follows);
