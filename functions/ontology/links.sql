-- Links: typed relations between two live objects.
--
--   ontology.link_types BEFORE UPDATE "100_fixed" (ontology.tg_link_types__fixed): name,
--     ends, cardinality and its flags never change (CL403); the description may.
--   BEFORE INSERT OR UPDATE "100_check" (ontology.tg_links__check): on insert, one_from and
--     one_to are copied from the link type (the foreign key to the type's flags keeps them
--     equal whoever writes), and both ends must be live objects of the type's
--     from and to types (CL422 naming the end), each locked FOR SHARE so that a concurrent
--     delete of an end waits for this transaction or makes this insert see it deleted. On
--     update only the soft delete may happen (deleted_at, deleted_by, once): CL403/CL409.
--   Cardinality lives in partial unique indexes on ontology.links (see migration 0012):
--     links_one_from_idx, links_one_to_idx, links_pair_idx. ontology.link_conflict turns
--     their 23505 into the CL409 that names the link type and the rule.
-- Locks: the from object, then the to object, FOR SHARE.

CREATE OR REPLACE FUNCTION ontology.tg_link_types__fixed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF (NEW.tenant_id, NEW.link_type_id, NEW.name, NEW.from_type_id, NEW.to_type_id, NEW.cardinality,
      NEW.one_from, NEW.one_to)
     IS DISTINCT FROM (OLD.tenant_id, OLD.link_type_id, OLD.name, OLD.from_type_id, OLD.to_type_id,
                       OLD.cardinality, OLD.one_from, OLD.one_to) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a link type''s ends and cardinality are fixed',
      DETAIL = pg_catalog.format('link type %s: only its description may change', OLD.name),
      HINT = 'define a link type with another name';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER "100_fixed" BEFORE UPDATE ON ontology.link_types
  FOR EACH ROW EXECUTE FUNCTION ontology.tg_link_types__fixed();

CREATE OR REPLACE FUNCTION ontology.tg_links__check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_type ontology.link_types;
  v_end text;
  v_object uuid;
  v_object_type uuid;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.tenant_id, NEW.link_id, NEW.link_type_id, NEW.from_object_id, NEW.to_object_id,
        NEW.one_from, NEW.one_to, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM (OLD.tenant_id, OLD.link_id, OLD.link_type_id, OLD.from_object_id,
                         OLD.to_object_id, OLD.one_from, OLD.one_to, OLD.created_by, OLD.created_at) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL403', MESSAGE = 'a link is fixed',
        DETAIL = pg_catalog.format('link %s: only its deletion may change', OLD.link_id),
        HINT = 'delete the link (api.delete_link) and create another';
    END IF;
    IF OLD.deleted_at IS NOT NULL AND NEW IS DISTINCT FROM OLD THEN
      RAISE EXCEPTION USING ERRCODE = 'CL409', MESSAGE = 'link is deleted',
        DETAIL = pg_catalog.format('link %s was deleted at %s', OLD.link_id, OLD.deleted_at),
        HINT = 'create a new link';
    END IF;
    RETURN NEW;
  END IF;

  PERFORM ontology.require_own_tenant(NEW.tenant_id);
  SELECT lt.* INTO v_type FROM ontology.link_types AS lt
  WHERE lt.tenant_id = NEW.tenant_id AND lt.link_type_id = NEW.link_type_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown link type',
      DETAIL = pg_catalog.format('no link type %s in this tenant', NEW.link_type_id),
      HINT = 'api.list_link_types lists the link types';
  END IF;
  NEW.one_from := v_type.one_from;
  NEW.one_to := v_type.one_to;
  NEW.created_by := internal.current_principal_id();
  NEW.deleted_at := NULL;
  NEW.deleted_by := NULL;
  FOREACH v_end IN ARRAY ARRAY['from', 'to'] LOOP
    IF v_end = 'from' THEN
      v_object := NEW.from_object_id;
      v_object_type := v_type.from_type_id;
    ELSE
      v_object := NEW.to_object_id;
      v_object_type := v_type.to_type_id;
    END IF;
    PERFORM FROM ontology.objects AS o
    WHERE o.tenant_id = NEW.tenant_id AND o.object_id = v_object AND o.type_id = v_object_type
      AND o.deleted_at IS NULL
    FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422',
        MESSAGE = pg_catalog.format('link %s: the %s object is not a live %s', v_type.name, v_end,
                                    (SELECT t.name FROM ontology.object_types AS t
                                     WHERE t.tenant_id = NEW.tenant_id AND t.type_id = v_object_type)),
        DETAIL = pg_catalog.format('object %s', v_object),
        HINT = 'api.list_link_types shows each link type''s ends';
    END IF;
  END LOOP;
  RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER "100_check" BEFORE INSERT OR UPDATE ON ontology.links
  FOR EACH ROW EXECUTE FUNCTION ontology.tg_links__check();

-- ontology.create_link: insert a link of a type; the cardinality indexes' 23505 becomes CL409
-- naming the link type and the rule it breaks. Returns the link id.
CREATE OR REPLACE FUNCTION ontology.create_link(p_type ontology.link_types, p_from uuid, p_to uuid)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_link uuid;
  v_constraint text;
BEGIN
  INSERT INTO ontology.links (tenant_id, link_type_id, from_object_id, to_object_id, one_from, one_to)
  VALUES (p_type.tenant_id, p_type.link_type_id, p_from, p_to, p_type.one_from, p_type.one_to)
  RETURNING link_id INTO v_link;
  RETURN v_link;
EXCEPTION WHEN unique_violation THEN
  GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
  IF v_constraint NOT IN ('links_one_from_idx', 'links_one_to_idx', 'links_pair_idx') THEN
    RAISE;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'CL409',
    MESSAGE = pg_catalog.format('link type %s is %s: %s', p_type.name, p_type.cardinality,
      CASE v_constraint
        WHEN 'links_one_from_idx' THEN 'the to object already has a link of this type'
        WHEN 'links_one_to_idx' THEN 'the from object already has a link of this type'
        ELSE 'these objects are already linked' END),
    DETAIL = pg_catalog.format('from %s to %s', p_from, p_to),
    HINT = 'delete the existing link first (api.list_links shows it)';
END
$fn$;
