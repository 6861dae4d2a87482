-- CoWIN v2 names an appointment by a UUID (v1 by its 14-digit confirmation number): each
-- appointment gets one, random, written by the application on insert. Appointments made before
-- this migration get a random version-4 UUID here.
ALTER TABLE appointments ADD COLUMN public_id BLOB;
UPDATE appointments SET public_id = unhex(
    substr(hex(randomblob(6)), 1, 12) || '4' || substr(hex(randomblob(2)), 1, 3)
    || substr('89AB', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(8)), 1, 15));
CREATE UNIQUE INDEX appointments_public_id ON appointments (public_id);
-- SQLite cannot add NOT NULL to a column: these triggers hold the rule PostgreSQL's constraint does.
CREATE TRIGGER appointments_public_id_on_insert BEFORE INSERT ON appointments
    WHEN NEW.public_id IS NULL BEGIN SELECT RAISE(ABORT, 'appointments.public_id is required'); END;
CREATE TRIGGER appointments_public_id_on_update BEFORE UPDATE OF public_id ON appointments
    WHEN NEW.public_id IS NULL BEGIN SELECT RAISE(ABORT, 'appointments.public_id is required'); END;
