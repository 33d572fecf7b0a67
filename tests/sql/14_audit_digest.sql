-- 14: what a digest must be before audit.verify_digest compares it with the ledger
-- (audit.digest_problem): a checkpoint as audit.checkpoint writes it passes, and each field
-- missing or malformed is named. Rewrites caught against a digest are in tests/test_audit.py.
BEGIN;
SELECT plan(5);

SELECT tenant_id FROM tenancy.create_tenant('digest-a', 'A', 'alice', 'Alice');
SELECT is(audit.digest_problem(audit.checkpoint()), NULL,
          'a checkpoint as audit.checkpoint writes it is a digest');
SELECT is(audit.digest_problem(audit.checkpoint() - 'root'), 'root must be 64 lower-case hex digits',
          'a digest without its root is named as such');
SELECT is(audit.digest_problem(jsonb_set(audit.checkpoint(), '{heads,0}',
                                         (audit.checkpoint() -> 'heads' -> 0) - 'head_hash')),
          'head 1: head_hash must be 64 lower-case hex digits',
          'a head without its hash is named, by position');
SELECT is(audit.digest_problem('[]'), 'the digest must be a JSON object (audit.checkpoint''s output)',
          'an array is no digest');
SELECT throws_ok($$ SELECT * FROM audit.verify_digest('{"heads": [{}]}') $$, 'CL422',
                 'not an audit checkpoint', 'verify_digest refuses what is no digest');

SELECT * FROM finish();
ROLLBACK;
