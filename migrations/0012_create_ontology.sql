-- 0012: the ontology (functions/ontology/, functions/api/ontology_*.sql, policies/ontology.sql).
-- (0012, leaving 0013 to the authz work going on in parallel.)
--
-- Tables
--   ontology.object_types    a tenant's kinds of business object (customer, invoice, ...):
--                            name, description, and a version bumped by every definition
--                            change.
--   ontology.properties      the property definitions of a type: kind, required, unique and
--                            the kind's rules (enum values, min/max, pattern, max_length,
--                            the referenced type), position for ordering.
--   ontology.type_versions   history: one row per definition change, with a snapshot of the
--                            whole definition (the shape api.describe_object_type returns).
--   ontology.objects         the objects: type, properties (validated by a trigger against
--                            the type on every write), optimistic version, soft delete, and
--                            search_text (string and enum values, maintained by the trigger).
--   ontology.unique_values   one row per value of a unique property of a live object; its
--                            primary key is what makes "unique within the type" hold under
--                            concurrency.
--   ontology.link_types      named, typed relations between two object types with a
--                            cardinality; ends and cardinality never change.
--   ontology.links           links between two live objects. one_from/one_to are copied from
--                            the link type (where checks tie them to the cardinality; a
--                            foreign key to the type's (id, one_from, one_to) keeps them
--                            equal) so that partial unique indexes enforce the cardinality
--                            under concurrency.
--   ontology.tools           the tool catalog agents act through: input JSON schema, side
--                            effect, blast radius, reversibility, enabled, version.
CREATE SCHEMA ontology AUTHORIZATION claw_owner;

CREATE TABLE ontology.object_types (
  tenant_id    uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  type_id      uuid NOT NULL DEFAULT uuidv7(),
  name         text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  description  text CHECK (length(description) <= 2000),
  version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by   uuid,
  updated_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, type_id),
  UNIQUE (tenant_id, name)
);
ALTER TABLE ontology.object_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.object_types FORCE ROW LEVEL SECURITY;

CREATE TABLE ontology.properties (
  tenant_id    uuid NOT NULL,
  type_id      uuid NOT NULL,
  name         text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  kind         text NOT NULL CHECK (kind IN ('string', 'number', 'integer', 'boolean',
                                             'timestamp', 'date', 'money', 'enum', 'reference')),
  description  text CHECK (length(description) <= 2000),
  required     boolean NOT NULL DEFAULT false,
  is_unique    boolean NOT NULL DEFAULT false,
  enum_values  text[] CHECK (cardinality(enum_values) BETWEEN 1 AND 1000),
  min_value    numeric,
  max_value    numeric,
  pattern      text CHECK (length(pattern) BETWEEN 1 AND 1000),
  max_length   integer CHECK (max_length BETWEEN 1 AND 1000000),
  ref_type_id  uuid,
  position     integer NOT NULL DEFAULT 0 CHECK (position >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, type_id, name),
  FOREIGN KEY (tenant_id, type_id) REFERENCES ontology.object_types (tenant_id, type_id),
  FOREIGN KEY (tenant_id, ref_type_id) REFERENCES ontology.object_types (tenant_id, type_id),
  CHECK ((kind = 'enum') = (enum_values IS NOT NULL)),
  CHECK ((kind = 'reference') = (ref_type_id IS NOT NULL)),
  CHECK (kind IN ('number', 'integer', 'money') OR (min_value IS NULL AND max_value IS NULL)),
  CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value),
  CHECK (kind = 'string' OR (pattern IS NULL AND max_length IS NULL))
);
ALTER TABLE ontology.properties ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.properties FORCE ROW LEVEL SECURITY;
-- Which properties point at a type (the objects of that type cannot be deleted while live
-- objects reference them).
CREATE INDEX properties_tenant_ref_type_idx ON ontology.properties (tenant_id, ref_type_id)
  WHERE ref_type_id IS NOT NULL;

CREATE TABLE ontology.type_versions (
  tenant_id    uuid NOT NULL,
  type_id      uuid NOT NULL,
  version      integer NOT NULL CHECK (version >= 1),
  definition   jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
  changed_by   uuid,
  changed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, type_id, version),
  FOREIGN KEY (tenant_id, type_id) REFERENCES ontology.object_types (tenant_id, type_id)
);
ALTER TABLE ontology.type_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.type_versions FORCE ROW LEVEL SECURITY;

CREATE TABLE ontology.objects (
  tenant_id    uuid NOT NULL,
  object_id    uuid NOT NULL DEFAULT uuidv7(),
  type_id      uuid NOT NULL,
  properties   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
  version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  -- string and enum values, space-separated (maintained by the validation trigger), for
  -- full-text search later
  search_text  text NOT NULL DEFAULT '',
  created_by   uuid,
  updated_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz,
  PRIMARY KEY (tenant_id, object_id),
  FOREIGN KEY (tenant_id, type_id) REFERENCES ontology.object_types (tenant_id, type_id)
);
ALTER TABLE ontology.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.objects FORCE ROW LEVEL SECURITY;
-- Listing a type's objects in id (= creation, uuidv7) order, and the definition checks that
-- scan a type's live objects.
CREATE INDEX objects_tenant_type_idx ON ontology.objects (tenant_id, type_id, object_id);
-- Who references an object (a reference property's value is the object id):
-- properties @> '{"customer": "<id>"}'. The table's tenant-leading indexes are above.
CREATE INDEX objects_properties_idx ON ontology.objects USING gin (properties jsonb_path_ops);

CREATE TABLE ontology.unique_values (
  tenant_id    uuid NOT NULL,
  type_id      uuid NOT NULL,
  property     text NOT NULL,
  -- the canonical value (ontology.value_key), or 'sha256:<hex>' of it when long
  value_key    text NOT NULL CHECK (length(value_key) BETWEEN 1 AND 300),
  object_id    uuid NOT NULL,
  PRIMARY KEY (tenant_id, type_id, property, value_key),
  FOREIGN KEY (tenant_id, type_id, property)
    REFERENCES ontology.properties (tenant_id, type_id, name) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, object_id) REFERENCES ontology.objects (tenant_id, object_id)
    ON DELETE CASCADE
);
ALTER TABLE ontology.unique_values ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.unique_values FORCE ROW LEVEL SECURITY;
CREATE INDEX unique_values_tenant_object_idx ON ontology.unique_values (tenant_id, object_id);

CREATE TABLE ontology.link_types (
  tenant_id     uuid NOT NULL,
  link_type_id  uuid NOT NULL DEFAULT uuidv7(),
  name          text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  from_type_id  uuid NOT NULL,
  to_type_id    uuid NOT NULL,
  cardinality   text NOT NULL CHECK (cardinality IN ('one_to_one', 'one_to_many',
                                                     'many_to_one', 'many_to_many')),
  -- a to-object has at most one from-object / a from-object at most one to-object
  one_from      boolean NOT NULL,
  one_to        boolean NOT NULL,
  description   text CHECK (length(description) <= 2000),
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, link_type_id),
  UNIQUE (tenant_id, name),
  -- the target of links' (link type, one_from, one_to) foreign key
  UNIQUE (tenant_id, link_type_id, one_from, one_to),
  FOREIGN KEY (tenant_id, from_type_id) REFERENCES ontology.object_types (tenant_id, type_id),
  FOREIGN KEY (tenant_id, to_type_id) REFERENCES ontology.object_types (tenant_id, type_id),
  CHECK (one_from = (cardinality IN ('one_to_one', 'one_to_many'))),
  CHECK (one_to = (cardinality IN ('one_to_one', 'many_to_one')))
);
ALTER TABLE ontology.link_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.link_types FORCE ROW LEVEL SECURITY;

CREATE TABLE ontology.links (
  tenant_id       uuid NOT NULL,
  link_id         uuid NOT NULL DEFAULT uuidv7(),
  link_type_id    uuid NOT NULL,
  from_object_id  uuid NOT NULL,
  to_object_id    uuid NOT NULL,
  one_from        boolean NOT NULL,
  one_to          boolean NOT NULL,
  created_by      uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  deleted_by      uuid,
  deleted_at      timestamptz,
  PRIMARY KEY (tenant_id, link_id),
  FOREIGN KEY (tenant_id, link_type_id, one_from, one_to)
    REFERENCES ontology.link_types (tenant_id, link_type_id, one_from, one_to),
  FOREIGN KEY (tenant_id, from_object_id) REFERENCES ontology.objects (tenant_id, object_id),
  FOREIGN KEY (tenant_id, to_object_id) REFERENCES ontology.objects (tenant_id, object_id)
);
ALTER TABLE ontology.links ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.links FORCE ROW LEVEL SECURITY;
-- Cardinality, enforced by the database whoever writes: one live link per (type, to) when a
-- to-object has one from-object, per (type, from) when a from-object has one to-object, and
-- never the same live pair twice. The api maps their 23505 to CL409 by index name.
CREATE UNIQUE INDEX links_one_from_idx ON ontology.links (tenant_id, link_type_id, to_object_id)
  WHERE one_from AND deleted_at IS NULL;
CREATE UNIQUE INDEX links_one_to_idx ON ontology.links (tenant_id, link_type_id, from_object_id)
  WHERE one_to AND deleted_at IS NULL;
CREATE UNIQUE INDEX links_pair_idx
  ON ontology.links (tenant_id, link_type_id, from_object_id, to_object_id)
  WHERE deleted_at IS NULL;
-- An object's live links in both directions.
CREATE INDEX links_tenant_from_idx ON ontology.links (tenant_id, from_object_id)
  WHERE deleted_at IS NULL;
CREATE INDEX links_tenant_to_idx ON ontology.links (tenant_id, to_object_id)
  WHERE deleted_at IS NULL;

CREATE TABLE ontology.tools (
  tenant_id     uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  tool_id       uuid NOT NULL DEFAULT uuidv7(),
  name          text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.]{0,99}$'),
  description   text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
  input_schema  jsonb NOT NULL CHECK (jsonb_typeof(input_schema) = 'object'),
  side_effect   text NOT NULL CHECK (side_effect IN ('read', 'write', 'external', 'financial')),
  blast_radius  text NOT NULL DEFAULT 'single_object' CHECK (blast_radius IN (
                  'none', 'single_object', 'many_objects', 'tenant', 'external_party')),
  max_objects   integer CHECK (max_objects > 0),
  reversible    boolean NOT NULL DEFAULT true,
  enabled       boolean NOT NULL DEFAULT true,
  version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by    uuid,
  updated_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, tool_id),
  UNIQUE (tenant_id, name)
);
ALTER TABLE ontology.tools ENABLE ROW LEVEL SECURITY;
ALTER TABLE ontology.tools FORCE ROW LEVEL SECURITY;
