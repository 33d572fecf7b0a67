-- Objects: validation in SQL on every write, whoever writes (an api function, a worker, the
-- owner in psql).
--
--   BEFORE INSERT OR UPDATE "100_validate" (ontology.tg_objects__validate): identity columns
--     never change (CL403); a deleted object never changes again (CL409); the version is 1 on
--     insert and +1 on every change; a soft delete (deleted_at set) is not validated; any
--     other write: top-level JSON nulls are dropped (null = no value), then every key must be
--     a property of the type and every property's value must pass ontology.check_value
--     (CL422 'property "total" of invoice: below min 0', DETAIL the value). References are
--     locked FOR SHARE (see ontology.check_value) and stored as canonical uuid text.
--     search_text = the string and enum values.
--   AFTER INSERT OR UPDATE "200_unique_values" (ontology.tg_objects__unique_values): keeps
--     ontology.unique_values equal to the unique properties' values of the live object. Its
--     primary key (tenant, type, property, value key) makes two objects with one value
--     impossible, concurrent writers included: the second insert waits for the first and
--     then finds the key taken (CL409 naming the property and the object that holds it).
-- Locks: the type's advisory lock shared (ontology.lock_type), then referenced objects FOR
-- SHARE in property order, then unique_values keys.

CREATE OR REPLACE FUNCTION ontology.tg_objects__validate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_type text;
  v_prop ontology.properties;
  v_rule text;
  v_key text;
  v_search text[] := '{}';
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.tenant_id IS DISTINCT FROM OLD.tenant_id OR NEW.object_id IS DISTINCT FROM OLD.object_id
       OR NEW.type_id IS DISTINCT FROM OLD.type_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.created_by IS DISTINCT FROM OLD.created_by THEN
      RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'an object''s identity is fixed',
        DETAIL = pg_catalog.format('object %s: tenant, id, type and creation never change',
                                   OLD.object_id),
        HINT = 'create a new object of the other type';
    END IF;
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NEW;
    END IF;
    IF OLD.deleted_at IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'object is deleted',
        DETAIL = pg_catalog.format('object %s was deleted at %s', OLD.object_id, OLD.deleted_at),
        HINT = 'a deleted object is kept for history and never changes again';
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := pg_catalog.now();
    NEW.updated_by := internal.current_principal_id();
    IF NEW.deleted_at IS NOT NULL THEN
      RETURN NEW;
    END IF;
  ELSE
    PERFORM ontology.require_own_tenant(NEW.tenant_id);
    NEW.version := 1;
    NEW.deleted_at := NULL;
    NEW.created_by := internal.current_principal_id();
    NEW.updated_by := NEW.created_by;
  END IF;

  PERFORM ontology.lock_type(NEW.type_id, false);
  SELECT t.name INTO v_type FROM ontology.object_types AS t
  WHERE t.tenant_id = NEW.tenant_id AND t.type_id = NEW.type_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown object type',
      DETAIL = pg_catalog.format('no object type %s in this tenant', NEW.type_id),
      HINT = 'api.list_object_types lists the types';
  END IF;
  IF pg_catalog.jsonb_typeof(NEW.properties) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('properties of %s: not a JSON object', v_type),
      DETAIL = pg_catalog.format('value: %s', pg_catalog.left(NEW.properties::text, 200)),
      HINT = 'pass {"<property>": <value>, ...}';
  END IF;
  NEW.properties := (SELECT coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}')
                     FROM pg_catalog.jsonb_each(NEW.properties) AS e WHERE e.value <> 'null');

  SELECT k INTO v_key FROM pg_catalog.jsonb_object_keys(NEW.properties) AS k
  WHERE NOT EXISTS (SELECT FROM ontology.properties AS p
                    WHERE p.tenant_id = NEW.tenant_id AND p.type_id = NEW.type_id AND p.name = k)
  ORDER BY k LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422',
      MESSAGE = pg_catalog.format('property "%s" of %s: unknown property', v_key, v_type),
      DETAIL = pg_catalog.format('value: %s', pg_catalog.left((NEW.properties -> v_key)::text, 200)),
      HINT = pg_catalog.format('api.describe_object_type(%L) lists its properties; add one with '
                               'api.define_object_type', v_type);
  END IF;

  FOR v_prop IN SELECT p.* FROM ontology.properties AS p
                WHERE p.tenant_id = NEW.tenant_id AND p.type_id = NEW.type_id
                ORDER BY p.position, p.name LOOP
    v_rule := ontology.check_value(v_prop, NEW.properties -> v_prop.name, true);
    IF v_rule IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422',
        MESSAGE = pg_catalog.format('property "%s" of %s: %s', v_prop.name, v_type, v_rule),
        DETAIL = coalesce(pg_catalog.format('value: %s',
                            pg_catalog.left((NEW.properties -> v_prop.name)::text, 200)), 'no value'),
        HINT = pg_catalog.format('api.describe_object_type(%L) shows the definition', v_type);
    END IF;
    -- a reference is stored as the canonical uuid text (what delete's referrer check matches)
    IF v_prop.kind = 'reference' AND NEW.properties ? v_prop.name THEN
      NEW.properties := NEW.properties || pg_catalog.jsonb_build_object(
        v_prop.name, ((NEW.properties ->> v_prop.name)::uuid)::text);
    ELSIF v_prop.kind IN ('string', 'enum') AND NEW.properties ? v_prop.name THEN
      v_search := v_search || (NEW.properties ->> v_prop.name);
    END IF;
  END LOOP;
  NEW.search_text := pg_catalog.array_to_string(v_search, ' ');
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER "100_validate" BEFORE INSERT OR UPDATE ON ontology.objects
  FOR EACH ROW EXECUTE FUNCTION ontology.tg_objects__validate();

CREATE OR REPLACE FUNCTION ontology.tg_objects__unique_values()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v record;
  v_other uuid;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.properties = OLD.properties
     AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at THEN
    RETURN NULL;
  END IF;
  DELETE FROM ontology.unique_values AS u
  WHERE u.tenant_id = NEW.tenant_id AND u.object_id = NEW.object_id
    AND (NEW.deleted_at IS NOT NULL OR NOT EXISTS (
          SELECT FROM ontology.properties AS p
          WHERE p.tenant_id = u.tenant_id AND p.type_id = u.type_id AND p.name = u.property
            AND p.is_unique AND ontology.value_key(p.kind, NEW.properties -> p.name) = u.value_key));
  IF NEW.deleted_at IS NOT NULL THEN
    RETURN NULL;
  END IF;
  FOR v IN SELECT p.name, ontology.value_key(p.kind, NEW.properties -> p.name) AS value_key
           FROM ontology.properties AS p
           WHERE p.tenant_id = NEW.tenant_id AND p.type_id = NEW.type_id AND p.is_unique
             AND NEW.properties ? p.name
           ORDER BY p.name LOOP
    INSERT INTO ontology.unique_values (tenant_id, type_id, property, value_key, object_id)
    VALUES (NEW.tenant_id, NEW.type_id, v.name, v.value_key, NEW.object_id)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT u.object_id INTO v_other FROM ontology.unique_values AS u
      WHERE u.tenant_id = NEW.tenant_id AND u.type_id = NEW.type_id AND u.property = v.name
        AND u.value_key = v.value_key;
      IF v_other IS DISTINCT FROM NEW.object_id THEN
        RAISE EXCEPTION USING ERRCODE = 'CL409',
          MESSAGE = pg_catalog.format('property "%s" of %s: unique value already used', v.name,
                                      (SELECT t.name FROM ontology.object_types AS t
                                       WHERE t.tenant_id = NEW.tenant_id AND t.type_id = NEW.type_id)),
          DETAIL = pg_catalog.format('value %s is held by object %s',
                                     pg_catalog.left((NEW.properties -> v.name)::text, 200),
                                     coalesce(v_other::text, '(another transaction)')),
          HINT = 'choose another value, or change or delete the object that holds it';
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER "200_unique_values" AFTER INSERT OR UPDATE ON ontology.objects
  FOR EACH ROW EXECUTE FUNCTION ontology.tg_objects__unique_values();
