ALTER TABLE internal.things ADD COLUMN name_long varchar(500);
