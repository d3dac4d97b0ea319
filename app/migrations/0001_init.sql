-- The device store, schema 1: inspections as Automerge documents (a snapshot plus the
-- incremental changes written since), photos by content hash, sync state per document and
-- peer, and read-only reference data from the agency.
CREATE TABLE device (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    snapshot BLOB NOT NULL,
    kind TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    violations INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX documents_subject ON documents(subject_kind, subject_id);

CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(id),
    bytes BLOB NOT NULL
);
CREATE INDEX changes_doc ON changes(doc_id, seq);

CREATE TABLE photos (
    hash TEXT PRIMARY KEY,
    jpeg BLOB NOT NULL,
    thumb BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sync_state (
    doc_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (doc_id, peer)
);

CREATE TABLE reference (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
