-- authz.asker (functions/authz/subject.sql) takes p_list: a list's limit is checked even when
-- it is NULL (api.list_permitted_objects with p_limit => NULL listed every object, without
-- a bound). Drop the three-argument version migration 0026's routines created.

DROP FUNCTION IF EXISTS authz.asker(text, text, integer);
