CREATE TABLE internal.things (thing_id bigint PRIMARY KEY, name text);
