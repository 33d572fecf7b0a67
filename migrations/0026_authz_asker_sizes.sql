-- authz.asker (functions/authz/subject.sql) no longer bounds its arguments' sizes: each api
-- function does, in its own body (tests/test_hardening.py reads it there). Drop the
-- seven-argument version migration 0025's routines created.
DROP FUNCTION IF EXISTS authz.asker(text, text, text, text, text, text, integer);
