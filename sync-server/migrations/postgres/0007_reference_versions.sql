-- PostgreSQL dialect of ../0007_reference_versions.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- Each reference record remembers the agency version that last changed it, so a device is
-- sent only what changed after the version it holds (a delta), not the whole agency.
ALTER TABLE reference ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX reference_by_version ON reference(agency_id, version);
