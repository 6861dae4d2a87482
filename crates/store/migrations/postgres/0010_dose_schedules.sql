-- `dose_schedules`: how each vaccine's doses follow each other (the master data writes it from
-- the national schedule and the COVID vaccines' intervals); `min_days_between` is a JSON array.
CREATE TABLE dose_schedules (
    vaccine_code          TEXT PRIMARY KEY REFERENCES vaccines (code),
    series                TEXT NOT NULL,
    manufacturer          TEXT NOT NULL,
    total_doses           BIGINT NOT NULL CHECK (total_doses BETWEEN 1 AND 9),
    min_days_between      TEXT NOT NULL,
    precaution_after_days BIGINT CHECK (precaution_after_days >= 0)
);
