-- CoWIN v2 names an appointment by a UUID (v1 by its 14-digit confirmation number): each
-- appointment gets one, random, written by the application on insert. Appointments made before
-- this migration get a random version-4 UUID here.
ALTER TABLE appointments ADD COLUMN public_id UUID;
UPDATE appointments SET public_id = gen_random_uuid();
ALTER TABLE appointments ALTER COLUMN public_id SET NOT NULL;
CREATE UNIQUE INDEX appointments_public_id ON appointments (public_id);
