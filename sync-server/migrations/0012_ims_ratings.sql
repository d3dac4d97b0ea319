-- The IMS rating as one auditable record (issue #18). The draw's seed is chosen here when a
-- rating is opened and kept until the rating closes; what a rating fixed at opening (its
-- population, draw, commitment, seed) can never change, and nothing of it is ever deleted.

-- SRO certificates of qualification (NCIMS Procedures L446): issued, categories, who recorded.
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
CREATE TRIGGER sro_certificates_no_update BEFORE UPDATE ON sro_certificates
BEGIN SELECT RAISE(ABORT, 'SRO certificates are never changed; record a new one'); END;
CREATE TRIGGER sro_certificates_kept BEFORE DELETE ON sro_certificates
BEGIN SELECT RAISE(ABORT, 'SRO certificates are kept; they are never deleted'); END;

-- A supervisor's override of a shut gate, for one shipper and rating officer, with its reason.
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
CREATE TRIGGER rating_overrides_no_update BEFORE UPDATE ON rating_overrides
BEGIN SELECT RAISE(ABORT, 'overrides are never changed'); END;
CREATE TRIGGER rating_overrides_kept BEFORE DELETE ON rating_overrides
BEGIN SELECT RAISE(ABORT, 'overrides are kept; they are never deleted'); END;

-- A rating opened: the producer list as taken, the population after the 40 % rule, the draw
-- (JSON of shared::rating::draw) and its commitment, the gates as found and the overrides used.
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
CREATE TRIGGER ims_ratings_fixed BEFORE UPDATE OF id, agency_id, shipper_id, officer_id, opened_on, opened_at, method, producers, producers_listed_on, shifting, population, draw, commitment, seed, gates, overrides ON ims_ratings
BEGIN SELECT RAISE(ABORT, 'a rating''s population, draw and seed are fixed when it is opened'); END;
CREATE TRIGGER ims_ratings_revealed_once BEFORE UPDATE OF seed_revealed_at ON ims_ratings
WHEN OLD.seed_revealed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a rating''s seed is revealed once'); END;
CREATE TRIGGER ims_ratings_kept BEFORE DELETE ON ims_ratings
BEGIN SELECT RAISE(ABORT, 'ratings are kept; they are never deleted'); END;

-- Each day's announcement of farms (MMSR L255-257) and each replacement with its reason.
CREATE TABLE rating_days (
    rating_id TEXT NOT NULL REFERENCES ims_ratings(id),
    day_no INTEGER NOT NULL,
    on_day TEXT NOT NULL,
    farms TEXT NOT NULL,
    announced_by TEXT NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (rating_id, day_no)
);
CREATE TRIGGER rating_days_no_update BEFORE UPDATE ON rating_days
BEGIN SELECT RAISE(ABORT, 'an announced day is never changed'); END;
CREATE TRIGGER rating_days_kept BEFORE DELETE ON rating_days
BEGIN SELECT RAISE(ABORT, 'announced days are kept'); END;
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
CREATE TRIGGER rating_replacements_no_update BEFORE UPDATE ON rating_replacements
BEGIN SELECT RAISE(ABORT, 'a replacement is never changed'); END;
CREATE TRIGGER rating_replacements_kept BEFORE DELETE ON rating_replacements
BEGIN SELECT RAISE(ABORT, 'replacements are kept'); END;
