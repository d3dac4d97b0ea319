-- PostgreSQL dialect of ../0009_sampler_records.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- The sampler records read from the documents (MMSR L8697-8708): each hauler/sampler
-- evaluation's pick-up record and outcome — the history card's and the annual notice's rows —
-- and the hauler/samplers a rating officer's farm visit identified from the farm's records,
-- which FORM 2359j Section C counts (L281-287). Projections: rewritten with each stored document,
-- never edited on their own.
CREATE TABLE evaluation_pickups (
    inspection_id TEXT PRIMARY KEY REFERENCES inspections(id),
    producer TEXT NOT NULL,
    tank_truck TEXT NOT NULL,
    permit_state TEXT NOT NULL,
    milk_temperature_f TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    -- satisfactory | unsatisfactory | NULL (not yet recorded)
    outcome TEXT
);

CREATE TABLE haulers_identified (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    state TEXT NOT NULL,
    permit TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (inspection_id, state, permit)
);
CREATE INDEX haulers_identified_permit ON haulers_identified(state, permit);
