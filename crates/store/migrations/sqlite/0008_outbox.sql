-- The outbox: jobs written in the same transaction as the change they follow (the text
-- message telling an account its appointment was booked, moved or cancelled), run by a worker
-- that leases them. `run_at` is when the job is next due: leasing moves it a lease ahead, so a
-- job whose worker died is due again when its lease runs out. `attempts` counts leases and
-- fences a stale worker's failure report. `job_key` is sent with every delivery of the job.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_key    TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    payload    TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    run_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    done_at    INTEGER,
    outcome    TEXT CHECK (outcome IN ('SENT', 'FAILED')),
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (run_at) WHERE done_at IS NULL;
CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;
-- A recipient's unfinished jobs, oldest first: a job waits for the older ones (message order).
CREATE INDEX outbox_recipient ON outbox (recipient, id) WHERE done_at IS NULL;
