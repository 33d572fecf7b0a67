ALTER TABLE internal.things ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE internal.things ADD COLUMN kind text NOT NULL;
