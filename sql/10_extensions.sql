-- Bootstrap 10: extensions, in their own schema so that no extension object lands in a
-- domain schema. pgvector (embeddings) ships with the embedded server and the official
-- pgvector image; any external server must provide it.
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO claw_owner;
