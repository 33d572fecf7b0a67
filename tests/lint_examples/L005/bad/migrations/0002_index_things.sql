CREATE INDEX things_name_idx ON internal.things (name);
