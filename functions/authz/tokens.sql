-- Consistency tokens (Zanzibar's zookies). Every tuple or model write bumps the tenant's
-- revision (authz.revisions) and returns a token for it; a check, list or search given a
-- token refuses to answer from a snapshot older than that revision (a REPEATABLE READ
-- transaction that began before the write, a replica that lags) instead of answering from
-- stale relationships. A token is opaque: 'zt1.<revision>.<mac>', the mac (sha256 keyed by
-- the context secret, bound to the tenant) so a token cannot be forged or used in another
-- tenant.

-- authz.bump_revision: the next revision of p_tenant_id. Locks the tenant's revisions row
-- until commit, which serialises the tenant's tuple and model writers.
CREATE OR REPLACE FUNCTION authz.bump_revision(p_tenant_id uuid)
RETURNS bigint
LANGUAGE sql
VOLATILE
AS $fn$
  INSERT INTO authz.revisions AS r (tenant_id, revision, updated_at)
  VALUES (p_tenant_id, 1, pg_catalog.now())
  ON CONFLICT (tenant_id) DO UPDATE SET revision = r.revision + 1, updated_at = pg_catalog.now()
  RETURNING r.revision
$fn$;

-- authz.make_token: the consistency token of revision p_revision of p_tenant_id.
CREATE OR REPLACE FUNCTION authz.make_token(p_tenant_id uuid, p_revision bigint)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT 'zt1.' || p_revision || '.' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
           k.secret || pg_catalog.convert_to('authz|' || p_tenant_id || '|' || p_revision, 'UTF8')),
           'hex'), 32)
  FROM internal.context_keys AS k WHERE k.context_key_id = 1
$fn$;

-- authz.snapshot_token: the token of the revision this snapshot sees.
CREATE OR REPLACE FUNCTION authz.snapshot_token(p_tenant_id uuid)
RETURNS text
LANGUAGE sql
STABLE
AS $fn$
  SELECT authz.make_token(p_tenant_id, coalesce(
    (SELECT r.revision FROM authz.revisions AS r WHERE r.tenant_id = p_tenant_id), 0))
$fn$;

-- authz.require_fresh: raise unless this snapshot has seen p_token's revision. NULL passes.
-- Raises CL422 for a malformed or foreign token, 40001 (retry) for a snapshot that is older.
CREATE OR REPLACE FUNCTION authz.require_fresh(p_tenant_id uuid, p_token text)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $fn$
DECLARE
  v_m text[];
  v_seen bigint;
BEGIN
  IF p_token IS NULL THEN
    RETURN;
  END IF;
  -- lengths checked apart: bounded repeats ({32}) make PostgreSQL's regex engine slow
  v_m := pg_catalog.regexp_match(p_token, '^zt1[.]([0-9]+)[.]([0-9a-f]+)$');
  IF v_m IS NULL OR pg_catalog.length(v_m[1]) > 18 OR pg_catalog.length(v_m[2]) <> 32
     OR authz.make_token(p_tenant_id, v_m[1]::bigint) IS DISTINCT FROM p_token THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid consistency token',
      DETAIL = 'the token is malformed, altered, or from another tenant',
      HINT = 'pass the token a write of this tenant returned, unchanged, or none';
  END IF;
  SELECT r.revision INTO v_seen FROM authz.revisions AS r WHERE r.tenant_id = p_tenant_id;
  IF coalesce(v_seen, 0) < v_m[1]::bigint THEN
    RAISE EXCEPTION USING ERRCODE = '40001',
      MESSAGE = 'this snapshot is older than the consistency token',
      DETAIL = pg_catalog.format('the token needs revision %s; this transaction sees %s',
                                 v_m[1], coalesce(v_seen, 0)),
      HINT = 'retry in a new transaction (or on the primary); the write has not reached this snapshot';
  END IF;
END
$fn$;
