-- internal.scopes: every scope a credential can carry, '*' (all of them) first: the second
-- argument of every internal.require_role / internal.require_context call in functions/
-- (tests/test_scopes.py holds the two to be the same set). An API key is issued only with
-- these (tenancy.issue_api_key: CL422 names any other, so a misspelt scope is an error, not
-- a key that silently can do nothing); a JWT's `scope` claim keeps only these
-- (api.authenticate_jwt drops the rest, such as OIDC's openid or profile).
CREATE OR REPLACE FUNCTION internal.scopes()
RETURNS text[]
LANGUAGE sql
IMMUTABLE
AS $fn$
  SELECT '{*,authz:admin,authz:read,authz:write,events:read,flow:read,flow:write,keys:read,
           keys:write,llm:admin,llm:call,llm:read,members:read,members:write,ontology:admin,
           ontology:read,ontology:write,queue:read,queue:write}'::text[]
$fn$;
