-- Reference data: CoWIN states and districts, blocks and localities from India Post,
-- vaccines and the national immunization schedule. Loaded by the master-data importer.
CREATE TABLE states (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE districts (
    id       INTEGER PRIMARY KEY,
    state_id INTEGER NOT NULL REFERENCES states (id),
    name     TEXT NOT NULL
);
CREATE INDEX districts_state ON districts (state_id);

CREATE TABLE blocks (
    id          INTEGER PRIMARY KEY,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    name        TEXT NOT NULL
);
CREATE INDEX blocks_district ON blocks (district_id);

CREATE TABLE localities (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    pincode     INTEGER NOT NULL,
    block_id    INTEGER REFERENCES blocks (id),
    district_id INTEGER REFERENCES districts (id),
    lat         REAL,
    lon         REAL
);
CREATE INDEX localities_pincode ON localities (pincode);

-- Where each pincode lies; a pincode that spans two districts has two rows.
CREATE TABLE pincodes (
    pincode     INTEGER NOT NULL,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    block_id    INTEGER NOT NULL REFERENCES blocks (id),
    lat         REAL,
    lon         REAL,
    PRIMARY KEY (pincode, district_id)
);

CREATE TABLE vaccines (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    programme TEXT NOT NULL CHECK (programme IN ('national', 'covid'))
);

CREATE TABLE master_data (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
