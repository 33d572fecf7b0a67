-- authz.asker (functions/authz/subject.sql) gained p_limit, so list_permitted_objects checks
-- its limit before the acting subject, as it did before the asker existed: drop the
-- six-argument version a database migrated at the commit that introduced it still holds.

DROP FUNCTION IF EXISTS authz.asker(text, text, text, text, text, text);
