-- PostgreSQL dialect of ../0003_enforcement_actions.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- Enforcement actions (warning letter, intent to suspend, suspension, reinstatement inspection,
-- revocation, hearing): dated, attributed, linked to their cause and to what they amend.
-- Append-only: records are never updated or deleted; completion is an event.
CREATE TABLE enforcement_actions (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT,
    cause TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    amends TEXT REFERENCES enforcement_actions(id),
    created_at TEXT NOT NULL
);
CREATE INDEX enforcement_actions_due ON enforcement_actions(agency_id, due_on);

CREATE TABLE action_events (
    action_id TEXT NOT NULL REFERENCES enforcement_actions(id),
    event TEXT NOT NULL,
    on_date TEXT NOT NULL,
    by_user TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE OR REPLACE FUNCTION enforcement_actions_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'enforcement actions are never changed in place; record an amendment'; RETURN OLD; END $$;
CREATE TRIGGER enforcement_actions_no_update BEFORE UPDATE ON enforcement_actions FOR EACH ROW EXECUTE FUNCTION enforcement_actions_no_update();
CREATE OR REPLACE FUNCTION enforcement_actions_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'enforcement actions are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER enforcement_actions_no_delete BEFORE DELETE ON enforcement_actions FOR EACH ROW EXECUTE FUNCTION enforcement_actions_no_delete();
CREATE TRIGGER enforcement_actions_no_delete_truncate BEFORE TRUNCATE ON enforcement_actions FOR EACH STATEMENT EXECUTE FUNCTION enforcement_actions_no_delete();
CREATE OR REPLACE FUNCTION action_events_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'action events are kept; they are never deleted'; RETURN OLD; END $$;
CREATE TRIGGER action_events_no_delete BEFORE DELETE ON action_events FOR EACH ROW EXECUTE FUNCTION action_events_no_delete();
CREATE TRIGGER action_events_no_delete_truncate BEFORE TRUNCATE ON action_events FOR EACH STATEMENT EXECUTE FUNCTION action_events_no_delete();
