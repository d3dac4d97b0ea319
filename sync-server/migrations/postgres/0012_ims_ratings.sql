-- PostgreSQL dialect of ../0012_ims_ratings.sql: the same tables and append-only rules.
CREATE TABLE sro_certificates (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    categories TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX sro_certificates_user ON sro_certificates(agency_id, user_id, issued_on);

CREATE TABLE rating_overrides (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    shipper_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    gate TEXT NOT NULL,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX rating_overrides_shipper ON rating_overrides(agency_id, shipper_id, officer_id);

CREATE TABLE ims_ratings (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    shipper_id TEXT NOT NULL,
    officer_id TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    method TEXT NOT NULL,
    producers TEXT NOT NULL,
    producers_listed_on TEXT NOT NULL,
    shifting TEXT NOT NULL,
    population TEXT NOT NULL,
    draw TEXT NOT NULL,
    commitment TEXT NOT NULL,
    seed TEXT NOT NULL,
    gates TEXT NOT NULL,
    overrides TEXT NOT NULL,
    seed_revealed_at TEXT
);
CREATE INDEX ims_ratings_shipper ON ims_ratings(agency_id, shipper_id, opened_at);

CREATE TABLE rating_days (
    rating_id TEXT NOT NULL REFERENCES ims_ratings(id),
    day_no INTEGER NOT NULL,
    on_day TEXT NOT NULL,
    farms TEXT NOT NULL,
    announced_by TEXT NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (rating_id, day_no)
);
CREATE TABLE rating_replacements (
    rating_id TEXT NOT NULL REFERENCES ims_ratings(id),
    replaced TEXT NOT NULL,
    by_farm TEXT NOT NULL,
    reason TEXT NOT NULL,
    on_day TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (rating_id, replaced)
);

-- append-only: no change in place, no deletion, no TRUNCATE
CREATE OR REPLACE FUNCTION ims_record_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% rows are kept as recorded; they are never changed or deleted', TG_TABLE_NAME; RETURN OLD; END $$;
CREATE TRIGGER sro_certificates_kept BEFORE UPDATE OR DELETE ON sro_certificates FOR EACH ROW EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER sro_certificates_kept_truncate BEFORE TRUNCATE ON sro_certificates FOR EACH STATEMENT EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER rating_overrides_kept BEFORE UPDATE OR DELETE ON rating_overrides FOR EACH ROW EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER rating_overrides_kept_truncate BEFORE TRUNCATE ON rating_overrides FOR EACH STATEMENT EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER rating_days_kept BEFORE UPDATE OR DELETE ON rating_days FOR EACH ROW EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER rating_days_kept_truncate BEFORE TRUNCATE ON rating_days FOR EACH STATEMENT EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER rating_replacements_kept BEFORE UPDATE OR DELETE ON rating_replacements FOR EACH ROW EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER rating_replacements_kept_truncate BEFORE TRUNCATE ON rating_replacements FOR EACH STATEMENT EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER ims_ratings_kept BEFORE DELETE ON ims_ratings FOR EACH ROW EXECUTE FUNCTION ims_record_kept();
CREATE TRIGGER ims_ratings_kept_truncate BEFORE TRUNCATE ON ims_ratings FOR EACH STATEMENT EXECUTE FUNCTION ims_record_kept();
-- a rating's population, draw and seed are fixed when it is opened; its seed is revealed once
CREATE OR REPLACE FUNCTION ims_ratings_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.id, NEW.agency_id, NEW.shipper_id, NEW.officer_id, NEW.opened_on, NEW.opened_at, NEW.method,
      NEW.producers, NEW.producers_listed_on, NEW.shifting, NEW.population, NEW.draw, NEW.commitment,
      NEW.seed, NEW.gates, NEW.overrides)
     IS DISTINCT FROM
     (OLD.id, OLD.agency_id, OLD.shipper_id, OLD.officer_id, OLD.opened_on, OLD.opened_at, OLD.method,
      OLD.producers, OLD.producers_listed_on, OLD.shifting, OLD.population, OLD.draw, OLD.commitment,
      OLD.seed, OLD.gates, OLD.overrides) THEN
    RAISE EXCEPTION 'a rating''s population, draw and seed are fixed when it is opened';
  END IF;
  IF OLD.seed_revealed_at IS NOT NULL AND NEW.seed_revealed_at IS DISTINCT FROM OLD.seed_revealed_at THEN
    RAISE EXCEPTION 'a rating''s seed is revealed once';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ims_ratings_fixed BEFORE UPDATE ON ims_ratings FOR EACH ROW EXECUTE FUNCTION ims_ratings_fixed();
