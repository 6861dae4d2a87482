-- CoWIN v2 keeps first doses apart from later ones: each slot holds `capacity_dose1` of its seats
-- for dose 1, and the database keeps each pool's bookings within its seats, so that
-- `available_capacity_dose1 + available_capacity_dose2 = available_capacity` always.
ALTER TABLE slots ADD COLUMN capacity_dose1 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE slots ADD COLUMN booked_dose1 INTEGER NOT NULL DEFAULT 0
    CHECK (booked_dose1 >= 0 AND booked_dose1 <= capacity_dose1 AND capacity_dose1 <= capacity
           AND booked - booked_dose1 <= capacity - capacity_dose1);
-- When the slot's seats last changed (ms), for `Last-Modified`.
ALTER TABLE slots ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;

-- Existing bookings keep their seats: first doses booked so far count in the dose-1 pool, which
-- gets every seat unless the session is for a later dose (booking's behaviour until now).
CREATE TEMP TABLE dose1_booked AS
    SELECT a.slot_id AS slot_id, COUNT(*) AS n
    FROM appointment_beneficiaries ab JOIN appointments a ON a.number = ab.appointment_no
    WHERE ab.status = 'ACTIVE' AND ab.dose = 1
    GROUP BY a.slot_id;
UPDATE slots SET
    booked_dose1 = COALESCE((SELECT n FROM dose1_booked WHERE slot_id = slots.id), 0),
    capacity_dose1 = MAX(
        COALESCE((SELECT n FROM dose1_booked WHERE slot_id = slots.id), 0),
        MIN(capacity - booked + COALESCE((SELECT n FROM dose1_booked WHERE slot_id = slots.id), 0),
            CASE COALESCE((SELECT dose FROM sessions WHERE id = slots.session_id), 0)
                WHEN 0 THEN capacity
                WHEN 1 THEN capacity
                ELSE 0
            END));
DROP TABLE dose1_booked;

-- The fee per dose in rupees (0 when free), CoWIN v2's `fee` and `vaccine_fees`.
ALTER TABLE sessions ADD COLUMN fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0);

-- The availability feed: every change of a session's seats appends a row in the writing
-- transaction (no ordering needed there); a sequencer then stamps rows with gap-free versions in
-- commit order, one sequencer at a time (it holds the `feed_clock` row), so that readers on any
-- node see versions appear in order and a client resuming after version N misses nothing.
CREATE TABLE availability_changes (
    id          INTEGER PRIMARY KEY,
    session_id  BLOB NOT NULL,
    center_id   INTEGER NOT NULL,
    district_id INTEGER NOT NULL,
    pincode     INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    version     INTEGER
);
-- Writers pay for two small index entries per change: the row and the pending queue. Stamped
-- versions are indexed for the readers (a resuming client reads a short version range and filters
-- it by area).
CREATE INDEX availability_changes_pending ON availability_changes (id) WHERE version IS NULL;
CREATE UNIQUE INDEX availability_changes_version ON availability_changes (version) WHERE version IS NOT NULL;

CREATE TABLE feed_clock (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO feed_clock (id, version) VALUES (1, 0);

-- The captcha an account was last shown (keyed hash of the answer), single use.
CREATE TABLE captchas (
    account     TEXT PRIMARY KEY,
    answer_hash TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
