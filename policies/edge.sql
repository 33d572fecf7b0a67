-- Policies and grants for the edge tables. The restrictive tenant policy on each, and:
--   idempotency_keys  a principal's own keys only (api.begin/finish_idempotent_request);
--                     retention runs as claw_dispatcher (BYPASSRLS).
--   request_limits    read by every verified context of the tenant (the limit must not
--                     depend on the caller's roles); written only with the system context
--                     of edge.set_request_limits (an operator, psql).
--   request_buckets   charged by every verified context of the tenant
--                     (api.take_request_token).
-- No login role has any table privilege.

SELECT internal.ensure_tenant_policy('edge.idempotency_keys');
DROP POLICY IF EXISTS idempotency_keys_all_principal ON edge.idempotency_keys;
CREATE POLICY idempotency_keys_all_principal ON edge.idempotency_keys FOR ALL
  USING (principal_id = (SELECT internal.current_principal_id()))
  WITH CHECK (principal_id = (SELECT internal.current_principal_id()));

SELECT internal.ensure_tenant_policy('edge.request_limits');
DROP POLICY IF EXISTS request_limits_select_member ON edge.request_limits;
CREATE POLICY request_limits_select_member ON edge.request_limits FOR SELECT USING (true);
DROP POLICY IF EXISTS request_limits_write_system ON edge.request_limits;
CREATE POLICY request_limits_write_system ON edge.request_limits FOR ALL
  USING ((SELECT internal.claims_role('{system}')))
  WITH CHECK ((SELECT internal.claims_role('{system}')));

SELECT internal.ensure_tenant_policy('edge.request_buckets');
DROP POLICY IF EXISTS request_buckets_all_member ON edge.request_buckets;
CREATE POLICY request_buckets_all_member ON edge.request_buckets FOR ALL
  USING (true) WITH CHECK (true);

GRANT SELECT, DELETE ON edge.idempotency_keys TO claw_dispatcher;
GRANT EXECUTE ON FUNCTION edge.purge_idempotency_keys() TO claw_owner;
