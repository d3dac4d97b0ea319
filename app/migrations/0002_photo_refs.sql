-- Schema 2: which inspection refers to which photo, kept with every write of a document, so
-- that only photos an inspection still refers to go to the agency (a photo removed before
-- signing stays on the device, and never leaves it).
CREATE TABLE photo_refs (
    doc_id TEXT NOT NULL REFERENCES documents(id),
    hash TEXT NOT NULL,
    PRIMARY KEY (doc_id, hash)
);
CREATE INDEX photo_refs_hash ON photo_refs(hash);
