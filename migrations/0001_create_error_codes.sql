-- 0001: the error registry as reference data, so psql users can read what a CLxxx means.
-- The same rows live in app/claw/errors.py (the Python mapping) and the README; a test
-- keeps the three identical.
CREATE TABLE internal.error_codes (
  sqlstate    text PRIMARY KEY CHECK (sqlstate ~ '^CL[0-9A-Z]{3}$'),
  name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z_]+$'),
  http_status integer NOT NULL CHECK (http_status BETWEEN 400 AND 599),
  meaning     text NOT NULL
);

COMMENT ON TABLE internal.error_codes IS
  'Claw''s SQLSTATE class CL: each code, its HTTP status and meaning.';

INSERT INTO internal.error_codes (sqlstate, name, http_status, meaning) VALUES
  ('CL401', 'unauthenticated', 401, 'no valid credential: missing, unknown, expired or revoked key, token or lease'),
  ('CL403', 'forbidden', 403, 'the authenticated principal may not do this (role, scope, relationship)'),
  ('CL404', 'not_found', 404, 'the object does not exist or is not visible in this tenant'),
  ('CL409', 'conflict', 409, 'invalid state transition or stale holder (lease, version, duplicate request)'),
  ('CL422', 'invalid_input', 422, 'an argument is malformed or out of range'),
  ('CL429', 'limited', 429, 'a rate limit or budget is exhausted; retry later or raise the limit');
