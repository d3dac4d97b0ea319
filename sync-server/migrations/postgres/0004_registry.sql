-- PostgreSQL dialect of ../0004_registry.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- The agency record's registers: facilities and permits with their history, laboratories,
-- Appendix N drug residue events, IMS listings with their ratings and 2359o permissions, and
-- the reference edition each agency uses. Every table here is append-only: history is events,
-- an amendment is a new row; triggers refuse UPDATE and DELETE.

CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- dairy farms: producer number; shippers: the IMS Plant/BTU number; haulers: none
    number TEXT,
    -- the State whose agency permits it (haulers may hold another State's permit)
    permit_state TEXT NOT NULL,
    pounds_daily BIGINT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX facilities_agency ON facilities(agency_id, kind, name);

-- Facts about a facility that change over time: pounds, joining or leaving a listing.
CREATE TABLE facility_events (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    event TEXT NOT NULL,
    value TEXT,
    effective_on TEXT NOT NULL,
    by_user TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX facility_events_facility ON facility_events(facility_id, recorded_at);

-- A farm belongs to one listing only (Procedures L107-117; I-3): one row per farm, and a move
-- is recorded as an event before the row is replaced through the registry's one function.
CREATE TABLE listing_members (
    agency_id TEXT NOT NULL,
    farm_id TEXT NOT NULL PRIMARY KEY REFERENCES facilities(id),
    shipper_id TEXT NOT NULL REFERENCES facilities(id),
    since TEXT NOT NULL
);
CREATE INDEX listing_members_shipper ON listing_members(shipper_id);

CREATE TABLE permits (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    number TEXT NOT NULL,
    issuing_state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (agency_id, issuing_state, number)
);

CREATE TABLE permit_events (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    permit_id TEXT NOT NULL REFERENCES permits(id),
    status TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    by_user TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX permit_events_permit ON permit_events(permit_id, effective_on, recorded_at);

CREATE TABLE laboratories (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    agency_id TEXT NOT NULL,
    lab_number TEXT NOT NULL,
    name TEXT NOT NULL,
    -- F approved, C conditional, N removed (seed 001 L290-295)
    classification TEXT NOT NULL,
    approved_until TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX laboratories_number ON laboratories(agency_id, lab_number, recorded_at);

CREATE TABLE residue_events (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    producer_id TEXT NOT NULL,
    sampled_on TEXT NOT NULL,
    sampled_at_time TEXT NOT NULL,
    load BIGINT NOT NULL,
    tanker TEXT,
    plant TEXT NOT NULL,
    test_method TEXT NOT NULL,
    result TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX residue_events_producer ON residue_events(agency_id, producer_id, sampled_on);

-- notified (regulatory_agency, permit_holder) with the time; negative (a clearing result);
-- disposition (the signed report, its fields as JSON)
CREATE TABLE residue_steps (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    event_id TEXT NOT NULL REFERENCES residue_events(id),
    step TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL,
    by_user TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE listing_ratings (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    shipper_id TEXT NOT NULL REFERENCES facilities(id),
    rating_dates TEXT NOT NULL,
    sanitation_rating BIGINT,
    enforcement_rating BIGINT NOT NULL,
    earliest_rating_date TEXT NOT NULL,
    expiry TEXT NOT NULL,
    product_codes TEXT NOT NULL,
    reference_edition TEXT NOT NULL,
    triggers TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX listing_ratings_shipper ON listing_ratings(shipper_id, earliest_rating_date);

-- sent / received (2359o), withdrawn, notified (a withdrawal's recipients)
CREATE TABLE listing_events (
    -- the order rows were written in, as SQLite\'s rowid (statements order by it)
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    rating_id TEXT NOT NULL REFERENCES listing_ratings(id),
    event TEXT NOT NULL,
    on_date TEXT NOT NULL,
    detail TEXT NOT NULL,
    by_user TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

ALTER TABLE agencies ADD COLUMN reference_edition TEXT NOT NULL DEFAULT 'form-2359i-2011';
ALTER TABLE agencies ADD COLUMN retention_months BIGINT NOT NULL DEFAULT 60;
-- the State (two letters) whose permits the agency issues
ALTER TABLE agencies ADD COLUMN home_state TEXT;
-- the IANA time zone whose calendar the agency's dates and deadlines run on (DR-8)
ALTER TABLE agencies ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
-- the laboratory's classification when the result was imported (F or C; N is refused)
ALTER TABLE lab_results ADD COLUMN lab_classification TEXT;
-- the laboratory procedure code, when given (seed 001 L237-274)
ALTER TABLE lab_results ADD COLUMN procedure TEXT;

CREATE OR REPLACE FUNCTION facilities_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'registry records are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER facilities_no_delete BEFORE DELETE ON facilities FOR EACH ROW EXECUTE FUNCTION facilities_no_delete();
CREATE TRIGGER facilities_no_delete_truncate BEFORE TRUNCATE ON facilities FOR EACH STATEMENT EXECUTE FUNCTION facilities_no_delete();
CREATE OR REPLACE FUNCTION facilities_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'registry records are never changed in place; record an event'; RETURN OLD; END $$;
CREATE TRIGGER facilities_no_update BEFORE UPDATE ON facilities FOR EACH ROW EXECUTE FUNCTION facilities_no_update();
CREATE OR REPLACE FUNCTION facility_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'history is never changed'; RETURN OLD; END $$;
CREATE TRIGGER facility_events_append_only BEFORE UPDATE ON facility_events FOR EACH ROW EXECUTE FUNCTION facility_events_append_only();
CREATE OR REPLACE FUNCTION facility_events_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'history is never deleted'; RETURN OLD; END $$;
CREATE TRIGGER facility_events_kept BEFORE DELETE ON facility_events FOR EACH ROW EXECUTE FUNCTION facility_events_kept();
CREATE TRIGGER facility_events_kept_truncate BEFORE TRUNCATE ON facility_events FOR EACH STATEMENT EXECUTE FUNCTION facility_events_kept();
CREATE OR REPLACE FUNCTION permits_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'permits are never changed in place; record a status event'; RETURN OLD; END $$;
CREATE TRIGGER permits_no_update BEFORE UPDATE ON permits FOR EACH ROW EXECUTE FUNCTION permits_no_update();
CREATE OR REPLACE FUNCTION permits_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'permits are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER permits_no_delete BEFORE DELETE ON permits FOR EACH ROW EXECUTE FUNCTION permits_no_delete();
CREATE TRIGGER permits_no_delete_truncate BEFORE TRUNCATE ON permits FOR EACH STATEMENT EXECUTE FUNCTION permits_no_delete();
CREATE OR REPLACE FUNCTION permit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'permit history is never changed'; RETURN OLD; END $$;
CREATE TRIGGER permit_events_append_only BEFORE UPDATE ON permit_events FOR EACH ROW EXECUTE FUNCTION permit_events_append_only();
CREATE OR REPLACE FUNCTION permit_events_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'permit history is never deleted'; RETURN OLD; END $$;
CREATE TRIGGER permit_events_kept BEFORE DELETE ON permit_events FOR EACH ROW EXECUTE FUNCTION permit_events_kept();
CREATE TRIGGER permit_events_kept_truncate BEFORE TRUNCATE ON permit_events FOR EACH STATEMENT EXECUTE FUNCTION permit_events_kept();
CREATE OR REPLACE FUNCTION laboratories_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'laboratory approvals are recorded anew, never changed'; RETURN OLD; END $$;
CREATE TRIGGER laboratories_append_only BEFORE UPDATE ON laboratories FOR EACH ROW EXECUTE FUNCTION laboratories_append_only();
CREATE OR REPLACE FUNCTION residue_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'drug residue events are never changed; record a step'; RETURN OLD; END $$;
CREATE TRIGGER residue_events_append_only BEFORE UPDATE ON residue_events FOR EACH ROW EXECUTE FUNCTION residue_events_append_only();
CREATE OR REPLACE FUNCTION residue_events_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'drug residue events are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER residue_events_kept BEFORE DELETE ON residue_events FOR EACH ROW EXECUTE FUNCTION residue_events_kept();
CREATE TRIGGER residue_events_kept_truncate BEFORE TRUNCATE ON residue_events FOR EACH STATEMENT EXECUTE FUNCTION residue_events_kept();
CREATE OR REPLACE FUNCTION residue_steps_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'drug residue steps are never changed'; RETURN OLD; END $$;
CREATE TRIGGER residue_steps_append_only BEFORE UPDATE ON residue_steps FOR EACH ROW EXECUTE FUNCTION residue_steps_append_only();
CREATE OR REPLACE FUNCTION residue_steps_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'drug residue steps are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER residue_steps_kept BEFORE DELETE ON residue_steps FOR EACH ROW EXECUTE FUNCTION residue_steps_kept();
CREATE TRIGGER residue_steps_kept_truncate BEFORE TRUNCATE ON residue_steps FOR EACH STATEMENT EXECUTE FUNCTION residue_steps_kept();
CREATE OR REPLACE FUNCTION listing_ratings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ratings are never changed; a new rating replaces the old one'; RETURN OLD; END $$;
CREATE TRIGGER listing_ratings_append_only BEFORE UPDATE ON listing_ratings FOR EACH ROW EXECUTE FUNCTION listing_ratings_append_only();
CREATE OR REPLACE FUNCTION listing_ratings_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'ratings are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER listing_ratings_kept BEFORE DELETE ON listing_ratings FOR EACH ROW EXECUTE FUNCTION listing_ratings_kept();
CREATE TRIGGER listing_ratings_kept_truncate BEFORE TRUNCATE ON listing_ratings FOR EACH STATEMENT EXECUTE FUNCTION listing_ratings_kept();
CREATE OR REPLACE FUNCTION listing_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'listing events are never changed'; RETURN OLD; END $$;
CREATE TRIGGER listing_events_append_only BEFORE UPDATE ON listing_events FOR EACH ROW EXECUTE FUNCTION listing_events_append_only();
CREATE OR REPLACE FUNCTION listing_events_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'listing events are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER listing_events_kept BEFORE DELETE ON listing_events FOR EACH ROW EXECUTE FUNCTION listing_events_kept();
CREATE TRIGGER listing_events_kept_truncate BEFORE TRUNCATE ON listing_events FOR EACH STATEMENT EXECUTE FUNCTION listing_events_kept();
CREATE OR REPLACE FUNCTION lab_results_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'laboratory results are never changed'; RETURN OLD; END $$;
CREATE TRIGGER lab_results_append_only BEFORE UPDATE ON lab_results FOR EACH ROW EXECUTE FUNCTION lab_results_append_only();
CREATE OR REPLACE FUNCTION lab_results_retained() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF OLD.sample_date > to_char(now() AT TIME ZONE 'UTC' - interval '24 months', 'YYYY-MM-DD') THEN RAISE EXCEPTION 'laboratory results are kept at least 24 months'; END IF; RETURN OLD; END $$;
CREATE TRIGGER lab_results_retained BEFORE DELETE ON lab_results FOR EACH ROW EXECUTE FUNCTION lab_results_retained();

-- Retention (MMSR L8240-8242, L8566-8568; T-K1, T-K2): an inspection record younger than 24
-- months is never deleted, whatever deletes it. The document holds the signatures and the whole
-- Automerge history; the projection's child tables are rebuilt from it on every merge.
CREATE OR REPLACE FUNCTION documents_retained() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF OLD.updated_at > to_char(now() AT TIME ZONE 'UTC' - interval '24 months', 'YYYY-MM-DD HH24:MI:SS') THEN RAISE EXCEPTION 'inspection records are kept at least 24 months'; END IF; RETURN OLD; END $$;
CREATE TRIGGER documents_retained BEFORE DELETE ON documents FOR EACH ROW EXECUTE FUNCTION documents_retained();
CREATE OR REPLACE FUNCTION inspections_retained() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF OLD.started_at > to_char(now() AT TIME ZONE 'UTC' - interval '24 months', 'YYYY-MM-DD HH24:MI:SS') THEN RAISE EXCEPTION 'inspection records are kept at least 24 months'; END IF; RETURN OLD; END $$;
CREATE TRIGGER inspections_retained BEFORE DELETE ON inspections FOR EACH ROW EXECUTE FUNCTION inspections_retained();
