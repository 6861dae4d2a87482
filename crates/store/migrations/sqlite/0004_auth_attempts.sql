-- Attempts at weak credentials (reference id + mobile + year of birth), counted per subject in
-- a fixed window, so guessing is capped across every sehat process on the database.
CREATE TABLE auth_attempts (
    subject      TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    attempts     INTEGER NOT NULL
);
