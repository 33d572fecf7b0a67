CREATE VIEW api.v WITH (security_invoker = true) AS SELECT 1 AS one;
