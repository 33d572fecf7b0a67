-- ontology.lock_type: serialise definition changes of an object type against writes of its
-- objects, for the rest of the transaction: a definition change takes the type's lock
-- exclusively, every object write shares it. So a change that checks the live objects
-- against a tighter rule cannot miss an object written meanwhile, and a write never
-- validates against a definition that is being replaced. A transaction-level advisory lock
-- (keyed by the type id) rather than a row lock: a row lock on ontology.object_types would
-- need its UPDATE policy to admit every role that writes objects.
-- Locks: the advisory lock of the type (taken after the type's row lock in
-- ontology.define_type; before the referenced objects' FOR SHARE in object writes).
CREATE OR REPLACE FUNCTION ontology.lock_type(p_type_id uuid, p_exclusive boolean)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT internal.lock_named('ontology.type:' || p_type_id::text, p_exclusive)
$fn$;
