-- 0013: relationship-based permissions, Zanzibar / OpenFGA style (functions/authz/,
-- functions/api/authz.sql, policies/authz.sql). 0012 is the ontology's.
--
-- Tables
--   authz.models          the tenant's model, one row per version: the definition as given
--                         (jsonb) and its sha256; api.define_authz_model appends a version.
--   authz.relations       the current model, one row per (object type, relation): its rewrite
--                         tree (this, computed, tuple-to-userset, union, intersection,
--                         exclusion) and the subject types its direct tuples may name.
--   authz.rewrite_edges   the current model flattened to edges, for the graph walks that do
--                         not evaluate a rewrite (list_objects, list_subjects, the cycle
--                         guard): relation r of a type includes
--                           this      its own tuples
--                           computed  relation target_relation of the same object
--                           ttu       relation target_relation of every object its
--                                     tupleset relation points at
--   authz.tuples          relationship tuples object#relation@subject, where a subject is an
--                         object (user:alice) or a userset (team:ops#member); an optional
--                         expiry after which the tuple never grants anything.
--   authz.revisions       the tenant's revision, bumped by every tuple or model write (the
--                         row lock also serialises writers of one tenant); consistency tokens
--                         carry it.
CREATE SCHEMA authz AUTHORIZATION claw_owner;

INSERT INTO internal.error_codes (sqlstate, name, http_status, meaning) VALUES
  ('CL508', 'loop_detected', 508,
   'a relationship graph is cyclic or deeper than the evaluation limit');

CREATE TABLE authz.models (
  tenant_id    uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  version      integer NOT NULL CHECK (version >= 1),
  definition   jsonb NOT NULL,
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- the model as the evaluator reads it (authz.compile_model), fetched once per check
  compiled     jsonb NOT NULL DEFAULT '{}',
  created_by   uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version),
  FOREIGN KEY (tenant_id, created_by) REFERENCES tenancy.principals (tenant_id, principal_id)
);

CREATE TABLE authz.relations (
  tenant_id        uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  object_type      text NOT NULL CHECK (object_type ~ '^[a-z][a-z0-9_]*$' AND length(object_type) <= 63),
  relation         text NOT NULL CHECK (relation ~ '^[a-z][a-z0-9_]*$' AND length(relation) <= 63),
  rewrite          jsonb NOT NULL,
  -- subject types a direct tuple of this relation may name: 'user', 'team#member'
  direct_subjects  text[] NOT NULL DEFAULT '{}',
  -- true when neither this rewrite nor any relation it reaches uses intersection or
  -- exclusion: then a graph walk alone answers list_objects / list_subjects exactly
  exact            boolean NOT NULL DEFAULT true,
  model_version    integer NOT NULL,
  PRIMARY KEY (tenant_id, object_type, relation),
  FOREIGN KEY (tenant_id, model_version) REFERENCES authz.models (tenant_id, version)
);

CREATE TABLE authz.rewrite_edges (
  tenant_id        uuid NOT NULL,
  object_type      text NOT NULL,
  relation         text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('this', 'computed', 'ttu')),
  target_relation  text NOT NULL DEFAULT '',
  tupleset         text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, object_type, relation, kind, target_relation, tupleset),
  FOREIGN KEY (tenant_id, object_type, relation)
    REFERENCES authz.relations (tenant_id, object_type, relation) ON DELETE CASCADE
);
-- the reverse walk (list_objects): which relations include target_relation?
CREATE INDEX rewrite_edges_by_target ON authz.rewrite_edges
  (tenant_id, kind, target_relation, tupleset);

CREATE TABLE authz.tuples (
  tenant_id         uuid NOT NULL REFERENCES tenancy.tenants (tenant_id),
  object_type       text NOT NULL CHECK (object_type ~ '^[a-z][a-z0-9_]*$' AND length(object_type) <= 63),
  object_id         text NOT NULL CHECK (object_id ~ '^[A-Za-z0-9_.:/@|=+-]+$' AND length(object_id) <= 200),
  relation          text NOT NULL CHECK (relation ~ '^[a-z][a-z0-9_]*$' AND length(relation) <= 63),
  subject_type      text NOT NULL CHECK (subject_type ~ '^[a-z][a-z0-9_]*$' AND length(subject_type) <= 63),
  subject_id        text NOT NULL CHECK (subject_id ~ '^[A-Za-z0-9_.:/@|=+-]+$' AND length(subject_id) <= 200),
  -- '' for a subject that is an object; the relation of a userset otherwise
  subject_relation  text NOT NULL DEFAULT '' CHECK (subject_relation = ''
                      OR (subject_relation ~ '^[a-z][a-z0-9_]*$' AND length(subject_relation) <= 63)),
  expires_at        timestamptz,
  revision          bigint NOT NULL,
  created_by        uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, object_type, object_id, relation, subject_type, subject_id,
               subject_relation),
  FOREIGN KEY (tenant_id, created_by) REFERENCES tenancy.principals (tenant_id, principal_id)
);
-- check: the usersets (and tuple-to-userset targets) under one object#relation, without
-- reading its direct subjects
CREATE INDEX tuples_usersets ON authz.tuples
  (tenant_id, object_type, object_id, relation, subject_type, subject_id, subject_relation)
  WHERE subject_relation <> '';
-- list_objects and the cycle guard walk from a subject to the objects that name it
CREATE INDEX tuples_by_subject ON authz.tuples
  (tenant_id, subject_type, subject_id, subject_relation, object_type, relation);
ALTER TABLE authz.tuples SET (fillfactor = 90);

CREATE TABLE authz.revisions (
  tenant_id    uuid PRIMARY KEY REFERENCES tenancy.tenants (tenant_id),
  revision     bigint NOT NULL DEFAULT 0 CHECK (revision >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE authz.models IS
  'Versions of a tenant''s authorization model (object types, relations, rewrites).';
COMMENT ON TABLE authz.relations IS
  'The current authorization model: one row per object type and relation, with its rewrite.';
COMMENT ON TABLE authz.rewrite_edges IS
  'The current model as edges (this, computed, tuple-to-userset) for graph walks.';
COMMENT ON TABLE authz.tuples IS
  'Relationship tuples object#relation@subject (subject: an object or a userset), optional expiry.';
COMMENT ON TABLE authz.revisions IS
  'Each tenant''s authorization revision, carried by consistency tokens.';

ALTER TABLE authz.models ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE authz.relations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE authz.rewrite_edges ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE authz.tuples ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE authz.revisions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
