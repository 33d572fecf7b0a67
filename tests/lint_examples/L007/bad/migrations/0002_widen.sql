ALTER TABLE internal.things ALTER COLUMN name TYPE varchar(500);
