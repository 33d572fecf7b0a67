-- Defining object types: api.define_object_type's engine, declarative and versioned.
--
-- ontology.define_type creates a type (version 1) or applies the difference between its
-- current definition and p_properties (each property's spec parsed by
-- ontology.parse_property). An existing type changes only at p_expected_version = its
-- version (CL409 otherwise). Every change bumps the version and appends the new definition
-- to ontology.type_versions; an identical definition changes nothing (changed = false).
--
-- Expand/contract, when the type has live objects: adding an optional property and
-- loosening a rule (dropping required, unique, pattern, max_length, min or max; widening
-- enum values or the range) always pass. A change that can break an existing value
-- (ontology.tightens: required, a new or narrower rule, another kind or referenced type) is
-- checked against every live object with ontology.check_value, the same judge as the write
-- trigger; making a property unique needs no duplicate among live values; removing a
-- property needs that no live object has a value for it. A property that becomes a
-- reference locks each referenced object FOR SHARE while it checks it (so a concurrent delete
-- waits, then finds the new referrer; or this change finds the object deleted) and rewrites
-- values spelled otherwise into canonical uuid text. Otherwise CL409 naming the
-- property, the rule, how many live objects break it and one of them
-- (ontology.raise_contract). Nothing is written on any error.
-- Locks: the type's row FOR UPDATE, then its advisory lock exclusively (ontology.lock_type),
-- so object writes of the type wait until the change commits or rolls back.

-- ontology.tightens: can the new definition of a property reject a value the old accepted?
CREATE OR REPLACE FUNCTION ontology.tightens(p_old ontology.properties, p_new ontology.properties)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(p_new.required AND NOT p_old.required, false)
      OR p_new.kind <> p_old.kind
      OR p_new.ref_type_id IS DISTINCT FROM p_old.ref_type_id
      OR (p_new.pattern IS NOT NULL AND p_new.pattern IS DISTINCT FROM p_old.pattern)
      OR coalesce(p_new.max_length < coalesce(p_old.max_length, 2147483647), false)
      OR coalesce(p_new.min_value > coalesce(p_old.min_value, p_new.min_value - 1), false)
      OR coalesce(p_new.max_value < coalesce(p_old.max_value, p_new.max_value + 1), false)
      OR coalesce(NOT (p_old.enum_values <@ p_new.enum_values), false)
$fn$;

-- ontology.raise_defined_concurrently: the CL409 of a definer that could not see a definition
-- of the same name committed after its snapshot was taken (a REPEATABLE READ or SERIALIZABLE
-- transaction that began before it): the unique violation of its INSERT, said plainly. In
-- READ COMMITTED the definers' name lock lets the second see the first's row instead.
CREATE OR REPLACE FUNCTION ontology.raise_defined_concurrently(p_kind text, p_name text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = pg_catalog.format('%s defined concurrently',
                                                                     p_kind),
    DETAIL = pg_catalog.format('another transaction defined %s %s after this one''s snapshot',
                               p_kind, p_name),
    HINT = 'retry in a new transaction: it will see that definition';
END
$fn$;

-- ontology.raise_contract: the CL409 of a definition change that live objects do not satisfy.
CREATE OR REPLACE FUNCTION ontology.raise_contract(p_type text, p_property text, p_rule text,
                                                   p_count bigint, p_example uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'CL409',
    MESSAGE = pg_catalog.format('property "%s" of %s: %s live object%s would violate %s',
                                p_property, p_type, p_count,
                                CASE WHEN p_count = 1 THEN '' ELSE 's' END, p_rule),
    DETAIL = pg_catalog.format('rule: %s; %s live object%s, e.g. object %s', p_rule, p_count,
                               CASE WHEN p_count = 1 THEN '' ELSE 's' END, p_example),
    HINT = 'expand/contract: add a new optional property, backfill it on every live object '
           '(api.update_object), move readers and writers to it, then remove the old one; '
           'or fix or delete the objects that violate the rule first';
END
$fn$;

CREATE OR REPLACE FUNCTION ontology.define_type(p_name text, p_properties jsonb,
                                                p_description text, p_expected_version integer)
RETURNS TABLE (type_id uuid, version integer, changed boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tenant uuid := internal.current_tenant_id();
  v_actor uuid := internal.current_principal_id();
  v_type ontology.object_types;
  v_created boolean := false;
  v_changed boolean := false;
  v_new ontology.properties;
  v_old ontology.properties;
  v_next integer;
  v_scan text[] := '{}';     -- properties whose live values are checked against the new rules
  v_unique text[] := '{}';   -- unique properties whose unique_values are rebuilt
  v_name text;
  v_bad record;
BEGIN
  PERFORM ontology.check_definition('object type', p_name, p_description);
  IF pg_catalog.jsonb_typeof(p_properties) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid property definitions',
      DETAIL = pg_catalog.format('p_properties of %s is not a JSON object', p_name),
      HINT = 'pass {"<property>": {"kind": "string", "required": true}, ...}';
  END IF;

  -- the name first: FOR UPDATE finds no row to lock while the type is new, and two
  -- definers of one new name both inserted (the second a raw 23505 at the first's commit)
  PERFORM internal.lock_named(pg_catalog.format('ontology.object_type|%s|%s', v_tenant, p_name),
                              true);
  SELECT t.* INTO v_type FROM ontology.object_types AS t
  WHERE t.tenant_id = v_tenant AND t.name = p_name FOR UPDATE;
  IF NOT FOUND THEN
    IF p_expected_version IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL404', MESSAGE = 'object type not found',
        DETAIL = pg_catalog.format('no object type %s in this tenant to be at version %s',
                                   p_name, p_expected_version),
        HINT = 'create it without p_expected_version';
    END IF;
    BEGIN
      INSERT INTO ontology.object_types AS t (tenant_id, name, description, created_by, updated_by)
      VALUES (v_tenant, p_name, p_description, v_actor, v_actor)
      RETURNING t.* INTO v_type;
    EXCEPTION WHEN unique_violation THEN
      PERFORM ontology.raise_defined_concurrently('object type', p_name);
    END;
    v_created := true;
  ELSE
    IF p_expected_version IS DISTINCT FROM v_type.version THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'stale object type version',
        DETAIL = pg_catalog.format('object type %s is at version %s, not %s', p_name,
                                   v_type.version, coalesce(p_expected_version::text, 'NULL')),
        HINT = 'read the definition again (api.describe_object_type) and pass its version as '
               'p_expected_version';
    END IF;
    PERFORM ontology.lock_type(v_type.type_id, true);
    IF p_description IS NOT NULL AND p_description IS DISTINCT FROM v_type.description THEN
      UPDATE ontology.object_types AS t SET description = p_description
      WHERE t.tenant_id = v_tenant AND t.type_id = v_type.type_id;
      v_changed := true;
    END IF;
  END IF;

  -- added and changed properties
  SELECT coalesce(max(p.position) + 1, 0) INTO v_next FROM ontology.properties AS p
  WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id;
  FOR v_name IN SELECT k FROM pg_catalog.jsonb_object_keys(p_properties) AS k LOOP
    v_new := ontology.parse_property(v_type, v_name, p_properties -> v_name);
    SELECT p.* INTO v_old FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
    IF NOT FOUND THEN
      v_new.position := coalesce(v_new.position, v_next);
      v_next := greatest(v_next, v_new.position + 1);
      v_new.created_at := pg_catalog.now();
      v_new.updated_at := pg_catalog.now();
      INSERT INTO ontology.properties SELECT v_new.*;
      v_changed := true;
      IF v_new.required THEN
        v_scan := v_scan || v_name;
      END IF;
    ELSE
      v_new.position := coalesce(v_new.position, v_old.position);
      IF ontology.property_spec(v_new) IS DISTINCT FROM ontology.property_spec(v_old) THEN
        UPDATE ontology.properties AS p
        SET (kind, description, required, is_unique, enum_values, min_value, max_value, pattern,
             max_length, ref_type_id, position, updated_at)
          = (v_new.kind, v_new.description, v_new.required, v_new.is_unique, v_new.enum_values,
             v_new.min_value, v_new.max_value, v_new.pattern, v_new.max_length,
             v_new.ref_type_id, v_new.position, pg_catalog.now())
        WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
        v_changed := true;
        IF ontology.tightens(v_old, v_new) THEN
          v_scan := v_scan || v_name;
        END IF;
        IF v_new.is_unique AND (NOT v_old.is_unique OR v_new.kind <> v_old.kind) THEN
          v_unique := v_unique || v_name;
        ELSIF v_old.is_unique AND NOT v_new.is_unique THEN
          DELETE FROM ontology.unique_values AS u
          WHERE u.tenant_id = v_tenant AND u.type_id = v_type.type_id AND u.property = v_name;
        END IF;
      END IF;
    END IF;
  END LOOP;

  -- removed properties: no live object may have a value for them
  FOR v_old IN SELECT p.* FROM ontology.properties AS p
               WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id
                 AND NOT p_properties ? p.name
               ORDER BY p.name LOOP
    SELECT pg_catalog.count(*) AS n, (pg_catalog.array_agg(o.object_id ORDER BY o.object_id))[1] AS example
    INTO v_bad FROM ontology.objects AS o
    WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
      AND o.properties ? v_old.name;
    IF v_bad.n > 0 THEN
      PERFORM ontology.raise_contract(p_name, v_old.name, 'removal (they have a value)',
                                      v_bad.n, v_bad.example);
    END IF;
    DELETE FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_old.name;
    v_changed := true;
  END LOOP;

  -- tighter rules: every live value must pass the new definition
  FOREACH v_name IN ARRAY v_scan LOOP
    SELECT p.* INTO STRICT v_new FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
    SELECT c.rule, pg_catalog.count(*) AS n,
           (pg_catalog.array_agg(c.object_id ORDER BY c.object_id))[1] AS example
    INTO v_bad
    FROM (SELECT o.object_id,
                 ontology.check_value(v_new, o.properties -> v_name, v_new.kind = 'reference')
                   AS rule
          FROM ontology.objects AS o
          WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id
            AND o.deleted_at IS NULL) AS c
    WHERE c.rule IS NOT NULL
    GROUP BY c.rule ORDER BY pg_catalog.count(*) DESC, c.rule LIMIT 1;
    IF FOUND THEN
      PERFORM ontology.raise_contract(p_name, v_name, v_bad.rule, v_bad.n, v_bad.example);
    END IF;
    IF v_new.kind = 'reference' THEN
      -- the values are now references: stored as canonical uuid text, as the write trigger
      -- stores them (what delete's referrer check matches), so '{A0EE...}' written as a
      -- string is found too (the update is an ordinary write: version + 1, audited)
      UPDATE ontology.objects AS o
      SET properties = o.properties || pg_catalog.jsonb_build_object(
            v_name, ((o.properties ->> v_name)::uuid)::text)
      WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
        AND CASE WHEN pg_catalog.jsonb_typeof(o.properties -> v_name) = 'string'
                   AND pg_catalog.pg_input_is_valid(o.properties ->> v_name, 'uuid')
                 THEN o.properties ->> v_name <> ((o.properties ->> v_name)::uuid)::text
                 ELSE false END;
    END IF;
  END LOOP;

  -- newly unique (or unique under another kind): no duplicates, then the keys
  FOREACH v_name IN ARRAY v_unique LOOP
    SELECT p.* INTO STRICT v_new FROM ontology.properties AS p
    WHERE p.tenant_id = v_tenant AND p.type_id = v_type.type_id AND p.name = v_name;
    DELETE FROM ontology.unique_values AS u
    WHERE u.tenant_id = v_tenant AND u.type_id = v_type.type_id AND u.property = v_name;
    SELECT pg_catalog.sum(d.n)::bigint AS n, (pg_catalog.array_agg(d.example ORDER BY d.example))[1] AS example
    INTO v_bad
    FROM (SELECT pg_catalog.count(*) AS n, (pg_catalog.array_agg(o.object_id ORDER BY o.object_id))[1] AS example
          FROM ontology.objects AS o
          WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
            AND o.properties -> v_name IS NOT NULL AND o.properties -> v_name <> 'null'
          GROUP BY ontology.value_key(v_new.kind, o.properties -> v_name)
          HAVING pg_catalog.count(*) > 1) AS d;
    IF v_bad.n > 0 THEN
      PERFORM ontology.raise_contract(p_name, v_name, 'unique (duplicate values)', v_bad.n,
                                      v_bad.example);
    END IF;
    INSERT INTO ontology.unique_values (tenant_id, type_id, property, value_key, object_id)
    SELECT v_tenant, v_type.type_id, v_name, ontology.value_key(v_new.kind, o.properties -> v_name),
           o.object_id
    FROM ontology.objects AS o
    WHERE o.tenant_id = v_tenant AND o.type_id = v_type.type_id AND o.deleted_at IS NULL
      AND o.properties -> v_name IS NOT NULL AND o.properties -> v_name <> 'null';
  END LOOP;

  IF v_changed AND NOT v_created THEN
    UPDATE ontology.object_types AS t
    SET version = t.version + 1, updated_at = pg_catalog.now(), updated_by = v_actor
    WHERE t.tenant_id = v_tenant AND t.type_id = v_type.type_id
    RETURNING t.* INTO v_type;
  END IF;
  IF v_changed OR v_created THEN
    INSERT INTO ontology.type_versions (tenant_id, type_id, version, definition, changed_by)
    VALUES (v_tenant, v_type.type_id, v_type.version,
            ontology.type_definition(v_tenant, v_type.type_id), v_actor);
  END IF;
  RETURN QUERY SELECT v_type.type_id, v_type.version, v_changed OR v_created;
END
$fn$;
