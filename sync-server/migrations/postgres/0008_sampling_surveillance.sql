-- PostgreSQL dialect of ../0008_sampling_surveillance.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- Sampling surveillance (MMSR L8630-8712): who may evaluate samplers. An evaluator's FDA
-- SSO certificate and each comparison evaluation toward a delegation are signed records of the
-- agency: appended, never changed or deleted (a correction is a new record).
CREATE TABLE sso_certificates (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    certified_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX sso_certificates_by_user ON sso_certificates(user_id, certified_on);

CREATE TABLE comparison_evaluations (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    -- the delegate candidate, compared with a certified SSO at the same sampler's work
    user_id TEXT NOT NULL REFERENCES users(id),
    sso_user_id TEXT NOT NULL REFERENCES users(id),
    sampler_kind TEXT NOT NULL,
    sampler_id TEXT NOT NULL,
    evaluated_on TEXT NOT NULL,
    routine_pickup BIGINT NOT NULL,
    -- the two markings (JSON objects item -> compliant | deviation | not_applicable)
    sso_marks TEXT NOT NULL,
    candidate_marks TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX comparison_evaluations_by_user ON comparison_evaluations(user_id, evaluated_on);

CREATE TABLE delegations (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    granted_on TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    redelegation BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX delegations_by_user ON delegations(user_id, granted_on);

CREATE OR REPLACE FUNCTION sso_certificates_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'sampling surveillance records are never changed in place'; RETURN OLD; END $$;
CREATE TRIGGER sso_certificates_no_update BEFORE UPDATE ON sso_certificates FOR EACH ROW EXECUTE FUNCTION sso_certificates_no_update();
CREATE OR REPLACE FUNCTION sso_certificates_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'sampling surveillance records are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER sso_certificates_no_delete BEFORE DELETE ON sso_certificates FOR EACH ROW EXECUTE FUNCTION sso_certificates_no_delete();
CREATE TRIGGER sso_certificates_no_delete_truncate BEFORE TRUNCATE ON sso_certificates FOR EACH STATEMENT EXECUTE FUNCTION sso_certificates_no_delete();
CREATE OR REPLACE FUNCTION comparison_evaluations_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'sampling surveillance records are never changed in place'; RETURN OLD; END $$;
CREATE TRIGGER comparison_evaluations_no_update BEFORE UPDATE ON comparison_evaluations FOR EACH ROW EXECUTE FUNCTION comparison_evaluations_no_update();
CREATE OR REPLACE FUNCTION comparison_evaluations_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'sampling surveillance records are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER comparison_evaluations_no_delete BEFORE DELETE ON comparison_evaluations FOR EACH ROW EXECUTE FUNCTION comparison_evaluations_no_delete();
CREATE TRIGGER comparison_evaluations_no_delete_truncate BEFORE TRUNCATE ON comparison_evaluations FOR EACH STATEMENT EXECUTE FUNCTION comparison_evaluations_no_delete();
CREATE OR REPLACE FUNCTION delegations_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'sampling surveillance records are never changed in place'; RETURN OLD; END $$;
CREATE TRIGGER delegations_no_update BEFORE UPDATE ON delegations FOR EACH ROW EXECUTE FUNCTION delegations_no_update();
CREATE OR REPLACE FUNCTION delegations_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'sampling surveillance records are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER delegations_no_delete BEFORE DELETE ON delegations FOR EACH ROW EXECUTE FUNCTION delegations_no_delete();
CREATE TRIGGER delegations_no_delete_truncate BEFORE TRUNCATE ON delegations FOR EACH STATEMENT EXECUTE FUNCTION delegations_no_delete();

-- An unsatisfactory hauler/sampler evaluation's re-evaluation date (the projection of the
-- document's outcome), which moves the sampler's next evaluation earlier.
ALTER TABLE inspections ADD COLUMN reevaluate_by TEXT;
