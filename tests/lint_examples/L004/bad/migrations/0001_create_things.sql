CREATE SCHEMA tenancy;
CREATE TABLE tenancy.things (tenant_id uuid NOT NULL, thing_id uuid NOT NULL);
ALTER TABLE tenancy.things ENABLE ROW LEVEL SECURITY;
