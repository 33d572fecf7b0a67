-- What the operator functions' owner (claw_operator_reader, BYPASSRLS) may read and call.
-- It holds no write privilege on any table: its only writes go through audit.append.
GRANT USAGE ON SCHEMA tenancy, audit, internal, admin TO claw_operator_reader;
GRANT SELECT ON tenancy.tenants, tenancy.principals, tenancy.memberships, audit.chain_heads,
  audit.events TO claw_operator_reader;
GRANT SELECT (tenant_id, api_key_id, principal_id, name, prefix, scopes, expires_at, revoked_at,
              last_used_at, created_at) ON tenancy.api_keys TO claw_operator_reader;
-- the ontology's shape, never object data (functions/admin/ontology_reads.sql)
GRANT USAGE ON SCHEMA ontology TO claw_operator_reader;
GRANT SELECT ON ontology.object_types, ontology.properties TO claw_operator_reader;
GRANT SELECT (tenant_id, type_id, deleted_at) ON ontology.objects TO claw_operator_reader;
GRANT EXECUTE ON FUNCTION internal.set_context(uuid, uuid, text[], text[], text),
  internal.clear_context(), audit.append(uuid, text, text, text, jsonb, jsonb),
  audit.verify_chains(uuid), audit.encode_event(uuid, bigint, timestamptz, uuid, text, text, text, text, jsonb, jsonb, text, bytea)
  TO claw_operator_reader;
