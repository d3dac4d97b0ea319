-- The supervisor's desk: the audit log of every change, letters from versioned templates,
-- the outbox of e-mails with each attempt, assignments of facilities to inspectors, and
-- users' e-mail addresses. Every table here is append-only: a change is a new row.

-- Who changed what, when and through what (a device or the review pages), written in the same
-- transaction as the change it describes.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_agency ON audit_log(agency_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is never changed'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is kept; it is never deleted'); END;

-- An agency's letter templates, one series of versions per action kind; the latest counts and
-- every letter names the version it was drafted from.
CREATE TABLE letter_templates (
    agency_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (agency_id, kind, version)
);
CREATE TRIGGER letter_templates_no_update BEFORE UPDATE ON letter_templates
BEGIN SELECT RAISE(ABORT, 'a letter template is never changed in place; save a new version'); END;
CREATE TRIGGER letter_templates_no_delete BEFORE DELETE ON letter_templates
BEGIN SELECT RAISE(ABORT, 'letter templates are kept'); END;

-- A letter of an enforcement action: its text as merged, then its approval with the PDF as
-- approved (dated, stored with the action, never changed).
CREATE TABLE letters (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    action_id TEXT NOT NULL REFERENCES enforcement_actions(id),
    template_version INTEGER NOT NULL,
    recipient TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    drafted_by TEXT NOT NULL,
    drafted_at TEXT NOT NULL
);
CREATE INDEX letters_action ON letters(action_id);
CREATE TABLE letter_approvals (
    letter_id TEXT PRIMARY KEY REFERENCES letters(id),
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    dated_on TEXT NOT NULL,
    pdf BLOB NOT NULL
);
CREATE TRIGGER letters_no_update BEFORE UPDATE ON letters
BEGIN SELECT RAISE(ABORT, 'a letter is never changed; draft another'); END;
CREATE TRIGGER letters_no_delete BEFORE DELETE ON letters
BEGIN SELECT RAISE(ABORT, 'letters are kept'); END;
CREATE TRIGGER letter_approvals_no_update BEFORE UPDATE ON letter_approvals
BEGIN SELECT RAISE(ABORT, 'an approved letter is never changed'); END;
CREATE TRIGGER letter_approvals_no_delete BEFORE DELETE ON letter_approvals
BEGIN SELECT RAISE(ABORT, 'approved letters are kept'); END;

-- E-mails to send, and each attempt (the outbox's state is its attempts).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachment_name TEXT,
    attachment BLOB,
    about TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_agency ON outbox(agency_id, created_at);
CREATE TABLE outbox_attempts (
    outbox_id TEXT NOT NULL REFERENCES outbox(id),
    at TEXT NOT NULL,
    sent INTEGER NOT NULL,
    detail TEXT NOT NULL,
    next_at TEXT
);
CREATE INDEX outbox_attempts_mail ON outbox_attempts(outbox_id, at);
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
BEGIN SELECT RAISE(ABORT, 'an e-mail in the outbox is never changed'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'the outbox is kept'); END;
CREATE TRIGGER outbox_attempts_no_update BEFORE UPDATE ON outbox_attempts
BEGIN SELECT RAISE(ABORT, 'a send attempt is never changed'); END;
CREATE TRIGGER outbox_attempts_no_delete BEFORE DELETE ON outbox_attempts
BEGIN SELECT RAISE(ABORT, 'send attempts are kept'); END;

-- A facility's inspector: the latest row counts; reassigning is a new row.
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    agency_id TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    user_id TEXT REFERENCES users(id),
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX assignments_facility ON assignments(agency_id, facility_id, id);
CREATE TRIGGER assignments_no_update BEFORE UPDATE ON assignments
BEGIN SELECT RAISE(ABORT, 'an assignment is never changed; reassign'); END;
CREATE TRIGGER assignments_no_delete BEFORE DELETE ON assignments
BEGIN SELECT RAISE(ABORT, 'assignments are kept'); END;

-- Where a user's notifications go (returned inspections, overdue work).
ALTER TABLE users ADD COLUMN email TEXT;

-- How many fields of an inspection's merged document hold conflicting values (the conflict
-- queue); counted at every store, and once for the documents stored before this schema.
ALTER TABLE inspections ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inspections_conflicts ON inspections(agency_id, conflicts) WHERE conflicts > 0;
