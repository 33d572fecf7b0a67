GRANT SELECT ON internal.t TO claw_runtime;
GRANT SELECT, TRUNCATE ON internal.t TO claw_runtime;
