-- 13: tenancy.api_key_credential, the one lookup that runs before a tenant context exists
-- (api.authenticate reads the key row the presented key names). Its owner bypasses RLS, so
-- the function must stay narrow: owned by claw_authenticator (NOLOGIN, BYPASSRLS, column
-- grants only), callable by no login role, one row for the exact (tenant, key id), nothing
-- for another tenant's id with the same key id.
BEGIN;
SELECT plan(17);

CREATE TEMP TABLE t AS
  SELECT c.tenant_id, c.principal_id, c.api_key,
         substr(c.api_key, 36, 32)::uuid AS key_id
  FROM tenancy.create_tenant('cred-a', 'Credential A', 'owner-a', 'Owner A') AS c;
CREATE TEMP TABLE u AS
  SELECT c.tenant_id FROM tenancy.create_tenant('cred-b', 'Credential B', 'owner-b', 'Owner B') AS c;

SELECT is((SELECT p.proowner::regrole::text FROM pg_proc AS p
           WHERE p.oid = 'tenancy.api_key_credential(uuid,uuid)'::regprocedure),
          'claw_authenticator', 'the lookup runs as claw_authenticator');
SELECT ok((SELECT r.rolbypassrls AND NOT r.rolcanlogin AND NOT r.rolsuper
           FROM pg_roles AS r WHERE r.rolname = 'claw_authenticator'),
          'claw_authenticator cannot log in and bypasses RLS (no context exists yet)');
SELECT is_empty($$
  SELECT r FROM unnest(ARRAY['claw_runtime', 'claw_worker', 'claw_admin', 'claw_auditor']) AS r
  WHERE has_function_privilege(r, 'tenancy.api_key_credential(uuid,uuid)', 'EXECUTE') $$,
  'no login role may call it');
SELECT is_empty($$
  SELECT table_schema || '.' || table_name || ' ' || privilege_type
  FROM information_schema.table_privileges WHERE grantee = 'claw_authenticator' $$,
  'claw_authenticator holds no table-wide privilege');
SELECT set_eq($$
  SELECT table_name || '.' || column_name FROM information_schema.column_privileges
  WHERE grantee = 'claw_authenticator' AND privilege_type = 'SELECT' $$,
  ARRAY['api_keys.tenant_id', 'api_keys.api_key_id', 'api_keys.principal_id',
        'api_keys.secret_hash', 'api_keys.scopes', 'api_keys.expires_at',
        'api_keys.revoked_at', 'api_keys.last_used_at', 'principals.tenant_id',
        'principals.principal_id', 'principals.disabled_at', 'memberships.tenant_id',
        'memberships.principal_id', 'memberships.role'],
  'it may read exactly the columns a key check needs');

SELECT is((SELECT c.principal_id FROM t, tenancy.api_key_credential(t.tenant_id, t.key_id) AS c),
          (SELECT principal_id FROM t), 'the key names its principal');
SELECT is((SELECT c.roles FROM t, tenancy.api_key_credential(t.tenant_id, t.key_id) AS c),
          ARRAY['owner'], 'with the principal''s roles');
SELECT ok((SELECT c.secret_hash = sha256(convert_to(substr(t.api_key, 69), 'UTF8'))
           FROM t, tenancy.api_key_credential(t.tenant_id, t.key_id) AS c),
          'and the hash of the key''s secret');
SELECT is_empty($$ SELECT * FROM u, t, tenancy.api_key_credential(u.tenant_id, t.key_id) $$,
                'another tenant''s id with the same key id finds nothing');
SELECT is_empty($$ SELECT * FROM t, tenancy.api_key_credential(t.tenant_id, gen_random_uuid()) $$,
                'an unknown key id finds nothing');

-- the scopes a key may carry: internal.scopes() (tests/test_scopes.py holds it to the checks)
SELECT ok('ontology:admin' = ANY (internal.scopes()) AND 'llm:call' = ANY (internal.scopes())
          AND (internal.scopes())[1] = '*', 'the admin and call scopes are scopes, * first');
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SELECT lives_ok($$ SELECT * FROM tenancy.issue_api_key((SELECT principal_id FROM t), 'narrow',
                     '{ontology:admin,llm:call}', NULL) $$, 'a key is issued with admin and call scopes');
SELECT throws_ok($$ SELECT * FROM tenancy.issue_api_key((SELECT principal_id FROM t), 'typo',
                      '{ontolgy:read}', NULL) $$, 'CL422', 'invalid scopes',
                 'a misspelt scope is refused');

SELECT is(ARRAY[internal.visible_length(E' \t\n'), internal.visible_length(E'\u00a0\u3000x'),
                internal.visible_length('ab c')], ARRAY[0, 1, 3],
          'visible characters: white space of any kind and control characters do not count');

-- the tenant's last enabled owner stays (api.revoke_role, api.set_principal_disabled)
GRANT SELECT ON t TO claw_runtime;
SET LOCAL ROLE claw_runtime;
SELECT throws_ok($$ SELECT api.revoke_role((SELECT principal_id FROM t), 'owner') $$, 'CL409',
                 'last owner', 'the only owner keeps owner');
SELECT throws_ok($$ SELECT api.set_principal_disabled((SELECT principal_id FROM t), true) $$,
                 'CL409', 'last owner', 'the only owner is not disabled');
SELECT throws_ok($$ SELECT api.set_principal_disabled((SELECT principal_id FROM t), NULL) $$,
                 'CL422', 'invalid switch', 'a NULL switch is refused, not read as enable');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
