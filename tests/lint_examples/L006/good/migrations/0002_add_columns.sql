ALTER TABLE internal.things ADD COLUMN token uuid;
ALTER TABLE internal.things ADD COLUMN kind text NOT NULL DEFAULT 'plain';
ALTER TABLE internal.things ADD COLUMN seen_at timestamptz DEFAULT now();
