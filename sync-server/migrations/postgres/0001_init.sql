-- PostgreSQL dialect of ../0001_init.sql: the same tables, columns and append-only rules (the
-- SQLite triggers as PL/pgSQL ones, TRUNCATE refused where DELETE is).
-- The agency record, schema 1.
CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    UNIQUE (agency_id, username)
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    actor TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE seen_requests (
    device_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (device_id, request_id)
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    inspector_id TEXT NOT NULL,
    snapshot BYTEA NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX documents_inspector ON documents(agency_id, inspector_id);

-- Projection of the documents: what review pages and exports query.
CREATE TABLE inspections (
    id TEXT PRIMARY KEY REFERENCES documents(id),
    agency_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    permit TEXT,
    inspector_id TEXT NOT NULL,
    inspector_name TEXT NOT NULL,
    status TEXT NOT NULL,
    integrity TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    violations BIGINT NOT NULL,
    total_debits BIGINT,
    pounds_daily BIGINT,
    updated_at TEXT NOT NULL
);
CREATE INDEX inspections_agency_status ON inspections(agency_id, status, started_at);

CREATE TABLE findings (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    item TEXT NOT NULL,
    state TEXT NOT NULL,
    points BIGINT,
    products TEXT,
    note TEXT NOT NULL,
    PRIMARY KEY (inspection_id, item)
);

CREATE TABLE inspection_photos (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    hash TEXT NOT NULL,
    item TEXT,
    caption TEXT NOT NULL,
    taken_at TEXT,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    PRIMARY KEY (inspection_id, hash)
);

CREATE TABLE signatures (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    seq BIGINT NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (inspection_id, seq)
);

CREATE TABLE reviews (
    inspection_id TEXT NOT NULL REFERENCES inspections(id),
    seq BIGINT NOT NULL,
    by_id TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    accepted BIGINT NOT NULL,
    comment TEXT NOT NULL,
    PRIMARY KEY (inspection_id, seq)
);

CREATE TABLE photos (
    agency_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (agency_id, hash)
);

CREATE TABLE reference (
    agency_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (agency_id, kind, id)
);

CREATE TABLE reference_versions (
    agency_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
