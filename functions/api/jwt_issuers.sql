-- JWT issuers, for a tenant's owners and admins: see which identity providers the tenant
-- accepts (registered by a platform operator, `claw jwt add`) and map their users' token
-- subjects to principals. Registering issuers and keys stays an operator action
-- (functions/tenancy/jwt_issuers.sql): a tenant that could register an (iss, aud) pair could
-- squat another tenant's, and one that could add a key could mint tokens.

-- api.list_jwt_issuers: the tenant's issuers with their audience, skew, JWKS URL and kids.
-- Who: owner or admin; scope members:read. Raises CL401, CL403.
CREATE OR REPLACE FUNCTION api.list_jwt_issuers()
RETURNS TABLE (jwt_issuer_id uuid, issuer text, audience text, max_skew_seconds integer,
               jwks_url text, kids text[], subjects bigint, created_at timestamptz)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_role('{owner,admin}', 'members:read', 'listing JWT issuers');
  RETURN QUERY
  SELECT i.jwt_issuer_id, i.issuer, i.audience, i.max_skew_seconds, i.jwks_url,
         coalesce((SELECT pg_catalog.array_agg(k.kid ORDER BY k.kid) FROM tenancy.jwt_keys AS k
                   WHERE k.tenant_id = i.tenant_id AND k.jwt_issuer_id = i.jwt_issuer_id), '{}'),
         (SELECT count(*) FROM tenancy.jwt_subjects AS s
          WHERE s.tenant_id = i.tenant_id AND s.jwt_issuer_id = i.jwt_issuer_id),
         i.created_at
  FROM tenancy.jwt_issuers AS i
  ORDER BY i.created_at, i.jwt_issuer_id;
END
$fn$;
COMMENT ON FUNCTION api.list_jwt_issuers() IS
  'Owner/admin: the identity providers this tenant accepts tokens of (issuer, audience, skew, '
  'kids, linked subjects).';
GRANT EXECUTE ON FUNCTION api.list_jwt_issuers() TO claw_runtime;

-- api.link_jwt_subject: tokens of one of the tenant's issuers whose sub is p_subject act as
-- principal p_principal_id (a subject already linked moves to the new principal; audited).
-- Who: owner or admin; scope members:write; only an owner links a subject to an owner or
-- moves one linked to an owner (an admin would otherwise sign in as the owner). Raises CL401,
-- CL403, CL404 (issuer or principal not in this tenant), CL422 (subject). Locks: the subject
-- row.
CREATE OR REPLACE FUNCTION api.link_jwt_subject(p_jwt_issuer_id uuid, p_subject text,
                                                p_principal_id uuid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM internal.require_size('p_subject', p_subject, 'name');
  PERFORM internal.require_role('{owner,admin}', 'members:write', 'linking a token subject');
  IF NOT EXISTS (SELECT 1 FROM tenancy.jwt_issuers AS i
                 WHERE i.tenant_id = internal.current_tenant_id()
                   AND i.jwt_issuer_id = p_jwt_issuer_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'JWT issuer not found',
      DETAIL = pg_catalog.format('no issuer %s in this tenant', p_jwt_issuer_id),
      HINT = 'api.list_jwt_issuers() lists them; an operator registers new ones';
  END IF;
  -- only an owner makes (or moves) an owner's sign-in, as only an owner grants owner
  IF EXISTS (SELECT 1 FROM tenancy.memberships AS m
             WHERE m.tenant_id = internal.current_tenant_id() AND m.role = 'owner'
               AND (m.principal_id = p_principal_id
                    OR m.principal_id = (SELECT s.principal_id FROM tenancy.jwt_subjects AS s
                                         WHERE s.tenant_id = m.tenant_id
                                           AND s.jwt_issuer_id = p_jwt_issuer_id
                                           AND s.subject = p_subject))) THEN
    PERFORM internal.require_role('{owner}', 'members:write', 'linking an owner''s token subject');
  END IF;
  PERFORM tenancy.put_jwt_subject(internal.current_tenant_id(), p_jwt_issuer_id, p_subject,
                                  p_principal_id);
END
$fn$;
COMMENT ON FUNCTION api.link_jwt_subject(uuid, text, uuid) IS
  'Owner/admin: tokens of this tenant''s issuer with this sub act as this principal.';
GRANT EXECUTE ON FUNCTION api.link_jwt_subject(uuid, text, uuid) TO claw_runtime;
