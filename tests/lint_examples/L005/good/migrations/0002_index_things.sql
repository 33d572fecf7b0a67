-- transactional: false
CREATE INDEX CONCURRENTLY things_name_idx ON internal.things (name);
CREATE TABLE internal.others (other_id bigint PRIMARY KEY, name text);
CREATE INDEX others_name_idx ON internal.others (name);
