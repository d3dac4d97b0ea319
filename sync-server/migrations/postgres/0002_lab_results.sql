-- PostgreSQL dialect of ../0002_lab_results.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- The laboratory ledger: official results imported from approved laboratories.
CREATE TABLE lab_results (
    agency_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    lab_number TEXT NOT NULL,
    sample_date TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    standard TEXT NOT NULL,
    value TEXT NOT NULL,
    over BIGINT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX lab_results_subject ON lab_results(agency_id, subject_id, standard, sample_date);
