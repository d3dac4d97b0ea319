-- PostgreSQL dialect of ../0011_append_only_gaps.sql: the same append-only rules.
CREATE OR REPLACE FUNCTION laboratories_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'laboratory approvals are kept; they are never deleted'; RETURN OLD; END $$;
CREATE OR REPLACE TRIGGER laboratories_kept BEFORE DELETE ON laboratories FOR EACH ROW EXECUTE FUNCTION laboratories_kept();
CREATE OR REPLACE TRIGGER laboratories_kept_truncate BEFORE TRUNCATE ON laboratories FOR EACH STATEMENT EXECUTE FUNCTION laboratories_kept();
CREATE OR REPLACE FUNCTION action_events_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'action events are never changed'; RETURN OLD; END $$;
CREATE OR REPLACE TRIGGER action_events_no_update BEFORE UPDATE ON action_events FOR EACH ROW EXECUTE FUNCTION action_events_no_update();
