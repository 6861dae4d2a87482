-- Reference data: CoWIN states and districts, blocks and localities from India Post,
-- vaccines and the national immunization schedule. Loaded by the master-data importer.
CREATE TABLE states (
    id   BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE districts (
    id       BIGINT PRIMARY KEY,
    state_id BIGINT NOT NULL REFERENCES states (id),
    name     TEXT NOT NULL
);
CREATE INDEX districts_state ON districts (state_id);

CREATE TABLE blocks (
    id          BIGINT PRIMARY KEY,
    district_id BIGINT NOT NULL REFERENCES districts (id),
    name        TEXT NOT NULL
);
CREATE INDEX blocks_district ON blocks (district_id);

CREATE TABLE localities (
    id          BIGINT PRIMARY KEY,
    name        TEXT NOT NULL,
    pincode     BIGINT NOT NULL,
    block_id    BIGINT REFERENCES blocks (id),
    district_id BIGINT REFERENCES districts (id),
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION
);
CREATE INDEX localities_pincode ON localities (pincode);

-- Where each pincode lies; a pincode that spans two districts has two rows.
CREATE TABLE pincodes (
    pincode     BIGINT NOT NULL,
    district_id BIGINT NOT NULL REFERENCES districts (id),
    block_id    BIGINT NOT NULL REFERENCES blocks (id),
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
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
