-- internal.refuse_jwt: end api.authenticate_jwt with CL401: the context (the tenant's system
-- context used for the key lookup, if set) is cleared first. p_message names the check
-- that failed; p_detail explains it and must never contain the token or a part of it.
CREATE OR REPLACE FUNCTION internal.refuse_jwt(p_message text, p_detail text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.clear_context();
  RAISE EXCEPTION USING ERRCODE = 'CL401', MESSAGE = p_message, DETAIL = p_detail,
    HINT = 'obtain a fresh token from the tenant''s identity provider; an operator registers '
           'issuers, audiences and keys with `claw jwt`';
END
$fn$;
