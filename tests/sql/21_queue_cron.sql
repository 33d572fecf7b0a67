-- 21: cron parsing, the calendar walk and the schedule api in one session.
BEGIN;
SELECT plan(17);

SELECT is(queue.parse_cron('*/15 8-18 * jan-mar mon-fri') -> 'minutes', '[0, 15, 30, 45]',
          'steps expand');
SELECT is(queue.parse_cron('0 0 * * 5-7') -> 'dows', '[0, 5, 6]', 'day-of-week 7 is Sunday');
SELECT throws_ok($$SELECT queue.parse_cron('0 6 * *')$$, 'CL422', 'invalid cron expression',
                 'four fields are refused');
SELECT throws_ok($$SELECT queue.parse_cron('0 6 * * someday')$$, 'CL422', 'invalid cron expression',
                 'an unknown day name is refused');
SELECT throws_ok($$SELECT queue.next_fire('0 6 * * *', 'Mars/Olympus_Mons', now())$$, 'CL422',
                 'unknown time zone', 'an unknown zone is refused');
SELECT throws_ok($$SELECT queue.check_time_zone('CET')$$, 'CL422',
                 'ambiguous time zone',
                 'CET (IANA: summer time; AT TIME ZONE: the fixed abbreviation) is refused');
SELECT lives_ok($$SELECT queue.check_time_zone(z) FROM unnest('{UTC,GMT,EST,Europe/Paris}'::text[]) AS z$$,
                'names whose abbreviation reading has the same single offset pass');
SELECT is(queue.next_fire('0 6 * * *', 'Europe/Paris', '2026-07-01 00:00Z'), '2026-07-01 04:00Z',
          '06:00 in Paris in summer is 04:00 UTC (the hint''s zone)');
SELECT is(queue.local_to_utc('2026-03-08 02:30', 'America/New_York'), '2026-03-08 07:00Z',
          'a time in the spring-forward gap is the first instant after it');
SELECT is(queue.local_to_utc('2026-11-01 01:30', 'America/New_York'), '2026-11-01 05:30Z',
          'a repeated time is its first occurrence');
SELECT is(queue.next_fire('0 6 * * *', 'Australia/Sydney', '2026-11-22 00:00Z'), '2026-11-22 19:00Z',
          '06:00 in Sydney in summer is 19:00 UTC the day before');

CREATE TEMP TABLE t AS SELECT * FROM tenancy.create_tenant('tenant-a', 'A', 'alice', 'Alice');
SELECT internal.set_context(tenant_id, principal_id, '{owner}') FROM t;
SET LOCAL ROLE claw_runtime;
SELECT ok((SELECT next_fire_at > now() FROM api.create_schedule(p_name => 'daily', p_cron => '0 6 * * *',
             p_time_zone => 'Europe/London', p_queue => 'default', p_kind => 'report.daily')),
          'a schedule gets its next fire instant');
SELECT throws_ok($$SELECT * FROM api.create_schedule(p_name => 'daily', p_cron => '0 7 * * *',
                    p_time_zone => 'UTC', p_queue => 'default', p_kind => 'report.daily')$$,
                 'CL409', 'schedule name taken', 'names are unique per tenant');
SELECT throws_ok($$SELECT * FROM api.create_schedule(p_name => 'feb30', p_cron => '0 0 30 2 *',
                    p_time_zone => 'UTC', p_queue => 'default', p_kind => 'x')$$,
                 'CL422', 'cron expression never fires', 'a schedule that never fires is refused');
SELECT throws_ok($$SELECT * FROM api.create_schedule(p_name => 'Bad Name', p_cron => '0 7 * * *',
                    p_time_zone => 'UTC', p_queue => 'default', p_kind => 'x')$$,
                 'CL422', 'invalid schedule', 'a bad name is CL422');
SELECT throws_ok($$SELECT * FROM api.create_schedule(p_name => 'big', p_cron => '0 7 * * *',
                    p_time_zone => 'UTC', p_queue => 'default', p_kind => 'x',
                    p_payload => jsonb_build_object('blob', repeat('x', 262144 - 1024)))$$,
                 'CL422', 'schedule payload too large',
                 'a payload without 1 KiB to spare for what each fire adds is refused');
SELECT lives_ok($$SELECT * FROM api.create_schedule(p_name => 'fits', p_cron => '0 7 * * *',
                    p_time_zone => 'UTC', p_queue => 'default', p_kind => 'x',
                    p_payload => jsonb_build_object('blob', repeat('x', 262144 - 1100)))$$,
                'a payload with 1 KiB to spare is accepted');

SELECT * FROM finish();
ROLLBACK;
