-- Identifiers sealed at rest, revoked tokens, partner API keys and the audit log.

-- The mobile and the photo-ID number, sealed with XChaCha20-Poly1305 under the server's
-- identifier key (`v1.<key id>.<hex>`), beside their keyed hashes (lookups) and last four
-- characters (masked display). NULL for rows written before this migration.
ALTER TABLE accounts ADD COLUMN mobile_sealed TEXT;
ALTER TABLE beneficiaries ADD COLUMN photo_id_sealed TEXT;

-- Tokens revoked before they expire (logout), kept until they would have expired.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- Partner API keys: only a keyed hash of the secret is kept. A rotated key keeps working until
-- `expires_at`; a revoked one stops at once.
CREATE TABLE partner_keys (
    id          TEXT PRIMARY KEY,
    partner     TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX partner_keys_partner ON partner_keys (partner);

-- The audit log: who did what, when, from where. Writers append rows inside their own
-- transaction; a sealer then chains them in order (`seq`, `prev_hash`, `hash` = HMAC over the
-- previous hash and the row), taking turns on the `audit_head` row. Triggers refuse deleting a
-- row, changing what it records, or changing a sealed row.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    origin    TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    seq       INTEGER UNIQUE,
    prev_hash TEXT,
    hash      TEXT
);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_rewrite BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at
  OR NEW.actor IS NOT OLD.actor OR NEW.origin IS NOT OLD.origin OR NEW.action IS NOT OLD.action
  OR NEW.subject IS NOT OLD.subject OR NEW.detail IS NOT OLD.detail
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
