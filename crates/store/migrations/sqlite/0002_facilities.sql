-- Centres, their sessions (one centre, date and vaccine) and the slots inside a session.
-- Capacity is enforced here: a slot's booked count can never leave 0..capacity.
CREATE TABLE centers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    state_id        INTEGER NOT NULL REFERENCES states (id),
    district_id     INTEGER NOT NULL REFERENCES districts (id),
    block_id        INTEGER REFERENCES blocks (id),
    pincode         INTEGER NOT NULL,
    address         TEXT NOT NULL DEFAULT '',
    incharge_name   TEXT,
    incharge_mobile TEXT,
    lat             REAL,
    lon             REAL,
    centre_type     TEXT NOT NULL CHECK (centre_type IN ('Permanent', 'Mobile', 'Static')),
    area            TEXT NOT NULL CHECK (area IN ('Urban', 'Rural')),
    fee_type        TEXT NOT NULL CHECK (fee_type IN ('Free', 'Paid')),
    vaccine_codes   TEXT NOT NULL DEFAULT '',
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (district_id, name_key, pincode)
);
CREATE INDEX centers_pincode ON centers (pincode);
CREATE INDEX centers_block ON centers (block_id);

CREATE TABLE sessions (
    id              BLOB PRIMARY KEY,
    center_id       INTEGER NOT NULL REFERENCES centers (id),
    date            TEXT NOT NULL,
    vaccine_code    TEXT NOT NULL REFERENCES vaccines (code),
    min_age         INTEGER NOT NULL CHECK (min_age BETWEEN 0 AND 120),
    max_age         INTEGER CHECK (max_age BETWEEN 0 AND 120),
    dose            INTEGER CHECK (dose BETWEEN 1 AND 9),
    capacity_online INTEGER NOT NULL CHECK (capacity_online >= 0),
    capacity_walkin INTEGER NOT NULL CHECK (capacity_walkin >= 0),
    status          TEXT NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (center_id, date, vaccine_code)
);
CREATE INDEX sessions_date ON sessions (date, center_id);

CREATE TABLE slots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   BLOB NOT NULL REFERENCES sessions (id),
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    start_minute INTEGER NOT NULL,
    end_minute   INTEGER NOT NULL,
    capacity     INTEGER NOT NULL,
    booked       INTEGER NOT NULL DEFAULT 0,
    CHECK (start_minute < end_minute),
    CHECK (booked >= 0 AND booked <= capacity),
    UNIQUE (session_id, name_key)
);
