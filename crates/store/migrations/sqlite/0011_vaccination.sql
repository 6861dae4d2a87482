-- Vaccination at the desk: vaccinators' posts at centres, walk-in seats of a session, the doses
-- given (one row per person, series and dose: the race guard of two vaccinators recording the
-- same dose) and the signed certificate of each dose, stored as issued. A correction revokes a
-- certificate and stores its replacement; a revoked row is never deleted (the revocation list).
CREATE TABLE vaccinators (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id      INTEGER NOT NULL REFERENCES centers (id),
    name           TEXT NOT NULL,
    mobile_hash    TEXT NOT NULL,
    mobile_sealed  TEXT NOT NULL,
    mobile_last4   TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     INTEGER NOT NULL,
    deactivated_at INTEGER
);
CREATE UNIQUE INDEX vaccinators_post ON vaccinators (center_id, mobile_hash);
CREATE INDEX vaccinators_mobile ON vaccinators (mobile_hash);

ALTER TABLE sessions ADD COLUMN walkin_booked INTEGER NOT NULL DEFAULT 0 CHECK (walkin_booked >= 0);

CREATE TABLE walkins (
    session_id     BLOB NOT NULL REFERENCES sessions (id),
    beneficiary_id INTEGER NOT NULL REFERENCES beneficiaries (reference_id),
    dose           INTEGER NOT NULL CHECK (dose BETWEEN 1 AND 9),
    vaccinator_id  INTEGER NOT NULL REFERENCES vaccinators (id),
    created_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    PRIMARY KEY (session_id, beneficiary_id)
);

-- An appointment's place completed by a recorded dose: it stays booked (the seat was used).
ALTER TABLE appointment_beneficiaries ADD COLUMN completed_at INTEGER;

CREATE TABLE immunizations (
    id             BLOB PRIMARY KEY,
    beneficiary_id INTEGER NOT NULL REFERENCES beneficiaries (reference_id),
    vaccine_code   TEXT NOT NULL REFERENCES vaccines (code),
    series         TEXT NOT NULL,
    manufacturer   TEXT NOT NULL,
    batch          TEXT NOT NULL,
    dose           INTEGER NOT NULL CHECK (dose BETWEEN 1 AND 9),
    total_doses    INTEGER NOT NULL CHECK (total_doses BETWEEN 1 AND 9),
    given_on       TEXT NOT NULL,
    recorded_at    INTEGER NOT NULL,
    center_id      INTEGER NOT NULL REFERENCES centers (id),
    vaccinator_id  INTEGER NOT NULL REFERENCES vaccinators (id),
    appointment_no INTEGER REFERENCES appointments (number)
);
CREATE UNIQUE INDEX immunizations_one_per_dose ON immunizations (beneficiary_id, series, dose);

CREATE TABLE certificates (
    id              TEXT PRIMARY KEY,
    immunization_id BLOB NOT NULL REFERENCES immunizations (id),
    beneficiary_id  INTEGER NOT NULL REFERENCES beneficiaries (reference_id),
    dose            INTEGER NOT NULL,
    issued_at       INTEGER NOT NULL,
    credential      TEXT NOT NULL,
    revoked_at      INTEGER,
    replaced_by     TEXT REFERENCES certificates (id)
);
CREATE INDEX certificates_beneficiary ON certificates (beneficiary_id);
CREATE UNIQUE INDEX certificates_current ON certificates (immunization_id) WHERE revoked_at IS NULL;
CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;
