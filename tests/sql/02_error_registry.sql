-- 02: the CL error registry in the database, as applications and psql users see it.
BEGIN;
SELECT plan(5);

SELECT results_eq(
  'SELECT sqlstate FROM api.list_error_codes()',
  ARRAY['CL401','CL403','CL404','CL409','CL422','CL429','CL508'],
  'api.list_error_codes lists the seven CL codes in order');
SELECT is_empty(
  'SELECT * FROM api.list_error_codes() WHERE http_status::text <> substr(sqlstate, 3)',
  'each CL code ends in its HTTP status');
SELECT throws_ok(
  $$INSERT INTO internal.error_codes VALUES ('XX999', 'bad', 500, 'not in class CL')$$,
  '23514', NULL, 'a code outside class CL is rejected');

SET LOCAL ROLE claw_runtime;
SELECT is((SELECT count(*)::int FROM api.list_error_codes()), 7,
          'the runtime role reads the registry through api');
SELECT throws_ok('SELECT * FROM internal.error_codes', '42501', NULL,
                 'the runtime role cannot read internal.error_codes directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
