-- Accounts (one per mobile), OTP transactions, beneficiaries, appointments and idempotency keys.
-- Mobile and photo-ID numbers are held only as keyed hashes and their last four characters.
CREATE TABLE accounts (
    mobile_hash  TEXT PRIMARY KEY,
    mobile_last4 TEXT NOT NULL,
    members      BIGINT NOT NULL DEFAULT 0 CHECK (members >= 0),
    otp_lock     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

CREATE TABLE otp_requests (
    txn_id       TEXT PRIMARY KEY,
    mobile_hash  TEXT NOT NULL,
    mobile_last4 TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX otp_requests_mobile ON otp_requests (mobile_hash, created_at);

CREATE TABLE beneficiaries (
    reference_id   BIGINT PRIMARY KEY,
    account        TEXT NOT NULL REFERENCES accounts (mobile_hash),
    name           TEXT NOT NULL,
    birth_year     BIGINT NOT NULL,
    gender_id      BIGINT NOT NULL CHECK (gender_id BETWEEN 1 AND 3),
    photo_id_type  BIGINT NOT NULL CHECK (photo_id_type BETWEEN 1 AND 13),
    photo_id_hash  TEXT NOT NULL,
    photo_id_last4 TEXT NOT NULL,
    state_id       BIGINT REFERENCES states (id),
    district_id    BIGINT REFERENCES districts (id),
    block_id       BIGINT REFERENCES blocks (id),
    locality_id    BIGINT REFERENCES localities (id),
    pincode        BIGINT,
    address        TEXT NOT NULL DEFAULT '',
    comorbidity    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    deleted_at     BIGINT
);
CREATE UNIQUE INDEX beneficiaries_photo_id ON beneficiaries (photo_id_type, photo_id_hash) WHERE deleted_at IS NULL;
CREATE INDEX beneficiaries_account ON beneficiaries (account);

CREATE TABLE appointments (
    number     BIGINT PRIMARY KEY,
    account    TEXT NOT NULL REFERENCES accounts (mobile_hash),
    center_id  BIGINT NOT NULL REFERENCES centers (id),
    session_id UUID NOT NULL REFERENCES sessions (id),
    slot_id    BIGINT NOT NULL REFERENCES slots (id),
    dose       BIGINT NOT NULL CHECK (dose BETWEEN 1 AND 9),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appointments_account ON appointments (account);
CREATE INDEX appointments_slot ON appointments (slot_id);

-- One row per beneficiary of an appointment. A slot's booked count equals its ACTIVE rows.
CREATE TABLE appointment_beneficiaries (
    appointment_no BIGINT NOT NULL REFERENCES appointments (number),
    beneficiary_id BIGINT NOT NULL REFERENCES beneficiaries (reference_id),
    dose           BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ACTIVE', 'CANCELLED', 'RESCHEDULED')),
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (appointment_no, beneficiary_id)
);
CREATE UNIQUE INDEX one_active_booking_per_dose ON appointment_beneficiaries (beneficiary_id, dose) WHERE status = 'ACTIVE';

-- The first answer to a request carrying an Idempotency-Key, replayed to its retries.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    outcome      TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
