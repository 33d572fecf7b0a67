-- Cron in SQL: parsing a 5-field expression and walking the local calendar of an IANA zone
-- to the next fire instant, under Claw's DST rules.
--
-- Expression: minute hour day-of-month month day-of-week, each a list of `*`, `n`, `a-b`,
-- with optional `/step` (`*/15`, `8-18/2`, `5/10` = 5-59/10); month names jan..dec and day
-- names sun..sat (any case); day-of-week 0 and 7 are both Sunday. As in Vixie cron, when
-- both day-of-month and day-of-week are restricted (neither is `*`), a day matches if
-- either matches ('0 0 13 * 5': the 13th and every Friday).
--
-- DST rules (queue.local_to_utc):
--   * a local time that occurs twice (fall-back) is its FIRST occurrence (the earlier
--     instant): 01:30 in New York on 2026-11-01 is 05:30 UTC (EDT), never also 06:30;
--   * a local time that does not exist (spring-forward gap) is the first instant after the
--     gap, the transition itself: 02:30 in New York on 2026-03-08 is 07:00 UTC (03:00 EDT).
--     (PostgreSQL's own `timestamp AT TIME ZONE` reads a gap time with the old offset, 03:30
--     EDT; we do not use it for that.)
-- queue.next_fire walks local dates and, on a matching date, the matching hours and minutes
-- in order; maps each with these rules; returns the first instant strictly after p_after.
-- Several gap times collapse onto one instant and a repeated hour is used once, so each
-- local slot fires once: a daily 06:00 once per local day, a daily 02:30 once on the
-- spring-forward day (at the gap's end) and once on the fall-back day.

-- queue.cron_field: expand one field to its sorted set of values; CL422 on a bad token.
CREATE OR REPLACE FUNCTION queue.cron_field(p_field text, p_label text, p_min integer,
                                            p_max integer, p_names text[] DEFAULT NULL)
RETURNS integer[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_item text;
  v_m text[];
  v_lo integer;
  v_hi integer;
  v_step integer;
  v_out integer[] := '{}';
BEGIN
  FOREACH v_item IN ARRAY pg_catalog.string_to_array(pg_catalog.lower(p_field), ',') LOOP
    v_m := pg_catalog.regexp_match(v_item, '^([*]|[a-z0-9]+)(?:-([a-z0-9]+))?(?:/([0-9]+))?$');
    IF v_m IS NULL OR (v_m[1] = '*' AND v_m[2] IS NOT NULL) THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cron expression',
        DETAIL = pg_catalog.format('%s field: %L is not *, n, a-b or one of those with /step',
                                   p_label, v_item),
        HINT = '''0 6 * * *'' = 06:00 every day; ''*/15 8-18 * * mon-fri'' = every 15 minutes of office hours';
    END IF;
    IF v_m[1] = '*' THEN
      v_lo := p_min;
      v_hi := p_max;
    ELSE
      v_lo := coalesce(pg_catalog.array_position(p_names, v_m[1]) - 1 + p_min,
                       CASE WHEN v_m[1] ~ '^[0-9]{1,2}$' THEN v_m[1]::integer END);
      v_hi := CASE WHEN v_m[2] IS NOT NULL
                   THEN coalesce(pg_catalog.array_position(p_names, v_m[2]) - 1 + p_min,
                                 CASE WHEN v_m[2] ~ '^[0-9]{1,2}$' THEN v_m[2]::integer END)
                   WHEN v_m[3] IS NOT NULL THEN p_max  -- 'a/n' = a-max/n
                   ELSE v_lo END;
    END IF;
    -- (a step of more than four digits is out of range, not an integer overflow)
    v_step := CASE WHEN v_m[3] IS NULL THEN 1
                   WHEN v_m[3] ~ '^[0-9]{1,4}$' THEN v_m[3]::integer END;
    IF v_lo IS NULL OR v_hi IS NULL OR v_lo < p_min OR v_hi > p_max OR v_lo > v_hi
       OR v_step IS NULL OR v_step < 1 THEN
      RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cron expression',
        DETAIL = pg_catalog.format('%s field: %L is out of range (%s-%s)%s', p_label, v_item,
                                   p_min, p_max,
                                   CASE WHEN p_names IS NOT NULL
                                        THEN ' or not a name like ' || p_names[1] ELSE '' END),
        HINT = '''0 6 * * *'' = 06:00 every day';
    END IF;
    v_out := v_out || ARRAY(SELECT pg_catalog.generate_series(v_lo, v_hi, v_step));
  END LOOP;
  -- day-of-week 7 is Sunday, 0
  RETURN ARRAY(SELECT DISTINCT CASE WHEN p_label = 'day-of-week' AND x = 7 THEN 0 ELSE x END AS y
               FROM pg_catalog.unnest(v_out) AS x ORDER BY y);
END
$fn$;

-- queue.parse_cron: validate and expand a 5-field expression.
-- Returns {"minutes", "hours", "days", "months", "dows": int arrays, "dom_star", "dow_star"}.
-- Raises CL422 naming the bad field and token.
CREATE OR REPLACE FUNCTION queue.parse_cron(p_expr text)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_f text[] := pg_catalog.regexp_split_to_array(pg_catalog.btrim(coalesce(p_expr, '')), '[[:space:]]+');
BEGIN
  IF pg_catalog.cardinality(v_f) <> 5 OR v_f[1] = '' THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'invalid cron expression',
      DETAIL = pg_catalog.format('%L has %s fields; a cron expression has 5: minute hour '
                                 'day-of-month month day-of-week', p_expr,
                                 CASE WHEN v_f[1] = '' THEN 0 ELSE pg_catalog.cardinality(v_f) END),
      HINT = '''0 6 * * *'' = 06:00 every day';
  END IF;
  RETURN pg_catalog.jsonb_build_object(
    'minutes', queue.cron_field(v_f[1], 'minute', 0, 59),
    'hours', queue.cron_field(v_f[2], 'hour', 0, 23),
    'days', queue.cron_field(v_f[3], 'day-of-month', 1, 31),
    'months', queue.cron_field(v_f[4], 'month', 1, 12,
                               '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'),
    'dows', queue.cron_field(v_f[5], 'day-of-week', 0, 7, '{sun,mon,tue,wed,thu,fri,sat}'),
    'dom_star', v_f[3] = '*' OR v_f[3] LIKE '*/%',
    'dow_star', v_f[5] = '*' OR v_f[5] LIKE '*/%');
END
$fn$;

-- queue.check_time_zone: CL422 unless p_zone is a time zone name PostgreSQL knows (IANA)
-- and reads as that zone. CET, EET, MET and WET are IANA zones with summer time, but
-- `AT TIME ZONE` reads them as PostgreSQL's fixed abbreviations (pg_timezone_abbrevs) first,
-- so a schedule in them would be an hour off all summer: refused, with a geographic name as
-- the hint. The other names that are also abbreviations (UTC, GMT, UCT, EST, MST, HST) have
-- one offset all year either way.
CREATE OR REPLACE FUNCTION queue.check_time_zone(p_zone text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_zone IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names AS z
                                   WHERE z.name = p_zone) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown time zone',
      DETAIL = pg_catalog.format('%L is not an IANA time zone name', p_zone),
      HINT = 'e.g. Australia/Sydney, America/New_York, UTC (SELECT name FROM pg_timezone_names)';
  END IF;
  IF p_zone NOT IN ('UTC', 'GMT', 'UCT', 'EST', 'MST', 'HST')
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_abbrevs AS a WHERE a.abbrev = p_zone) THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'ambiguous time zone',
      DETAIL = pg_catalog.format('PostgreSQL reads %L as a fixed-offset abbreviation, without '
                                 'the summer time of the IANA zone of that name', p_zone),
      HINT = 'use the geographic name of a place in the zone, e.g. Europe/Paris for CET';
  END IF;
END
$fn$;

-- queue.local_to_utc: a wall-clock time in a zone as an instant, under the DST rules above.
CREATE OR REPLACE FUNCTION queue.local_to_utc(p_local timestamp, p_zone text)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_guess timestamptz;
  v_best timestamptz;
  v_cand timestamptz;
  v_off interval;
  v_offs interval[];
  v_lo bigint;
  v_hi bigint;
  v_mid bigint;
BEGIN
  BEGIN
    v_guess := p_local AT TIME ZONE p_zone;
  EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'unknown time zone',
      DETAIL = pg_catalog.format('%L is not a time zone', p_zone),
      HINT = 'e.g. Australia/Sydney, America/New_York, UTC';
  END;
  -- the offsets in force around it (transitions are months apart)
  SELECT pg_catalog.array_agg(DISTINCT (u AT TIME ZONE p_zone) - (u AT TIME ZONE 'UTC'))
    INTO v_offs
  FROM pg_catalog.unnest(ARRAY[v_guess - interval '1 day', v_guess,
                               v_guess + interval '1 day']) AS u;
  FOREACH v_off IN ARRAY v_offs LOOP
    v_cand := (p_local - v_off) AT TIME ZONE 'UTC';
    IF (v_cand AT TIME ZONE p_zone) = p_local AND (v_best IS NULL OR v_cand < v_best) THEN
      v_best := v_cand;  -- a valid reading; the earliest is the first occurrence
    END IF;
  END LOOP;
  IF v_best IS NOT NULL THEN
    RETURN v_best;
  END IF;
  -- A gap: the first instant whose local time is past p_local is the transition. It lies
  -- between the readings with the largest and the smallest offset; binary search by second.
  v_lo := EXTRACT(EPOCH FROM (p_local - (SELECT max(o) FROM pg_catalog.unnest(v_offs) AS o))
                             AT TIME ZONE 'UTC')::bigint;
  v_hi := EXTRACT(EPOCH FROM (p_local - (SELECT min(o) FROM pg_catalog.unnest(v_offs) AS o))
                             AT TIME ZONE 'UTC')::bigint;
  WHILE v_lo < v_hi LOOP
    v_mid := (v_lo + v_hi) / 2;
    IF (pg_catalog.to_timestamp(v_mid) AT TIME ZONE p_zone) > p_local THEN
      v_hi := v_mid;
    ELSE
      v_lo := v_mid + 1;
    END IF;
  END LOOP;
  RETURN pg_catalog.to_timestamp(v_lo);
END
$fn$;

-- queue.next_fire: the first fire instant of p_cron in p_zone strictly after p_after, or
-- NULL when there is none in the next five years (e.g. '0 0 30 2 *').
-- Raises CL422 for a bad expression or zone.
CREATE OR REPLACE FUNCTION queue.next_fire(p_cron text, p_zone text, p_after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_c jsonb := queue.parse_cron(p_cron);
  v_minutes integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'minutes')::integer);
  v_hours integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'hours')::integer);
  v_days integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'days')::integer);
  v_months integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'months')::integer);
  v_dows integer[] := ARRAY(SELECT pg_catalog.jsonb_array_elements_text(v_c -> 'dows')::integer);
  v_dom_star boolean := (v_c ->> 'dom_star')::boolean;
  v_dow_star boolean := (v_c ->> 'dow_star')::boolean;
  v_local timestamp;
  v_floor timestamp;
  v_day date;
  v_dom_ok boolean;
  v_dow_ok boolean;
  v_h integer;
  v_m integer;
  v_cand timestamp;
  v_at timestamptz;
BEGIN
  IF p_after IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'CL422', MESSAGE = 'next_fire needs a start instant',
      DETAIL = 'p_after is NULL', HINT = 'pass now()';
  END IF;
  BEGIN
    v_local := p_after AT TIME ZONE p_zone;
  EXCEPTION WHEN invalid_parameter_value THEN
    PERFORM queue.check_time_zone(p_zone);
    RAISE;
  END;
  -- local slots more than 3 hours before p_after's local time cannot map after it (no zone
  -- shifts by more than 2 hours): skip them without converting. With the same offset 3 hours
  -- either side of p_after (no transition near it: nearly always), local time is UTC plus a
  -- fixed offset there, so no slot before p_after's local time maps after it either: start
  -- at that local time. An every-minute cron converted 180 candidates per call otherwise
  -- (1.5 ms a call; the tick counts a long outage's missed slots call by call).
  IF (p_after - interval '3 hours') AT TIME ZONE p_zone
       = (p_after - interval '3 hours') AT TIME ZONE 'UTC' + (v_local - (p_after AT TIME ZONE 'UTC'))
     AND (p_after + interval '3 hours') AT TIME ZONE p_zone
       = (p_after + interval '3 hours') AT TIME ZONE 'UTC' + (v_local - (p_after AT TIME ZONE 'UTC')) THEN
    v_floor := v_local;
  ELSE
    v_floor := v_local - interval '3 hours';
  END IF;
  v_day := v_floor::date;
  WHILE v_day <= v_local::date + 1830 LOOP
    IF EXTRACT(MONTH FROM v_day)::integer = ANY (v_months) THEN
      v_dom_ok := EXTRACT(DAY FROM v_day)::integer = ANY (v_days);
      v_dow_ok := EXTRACT(DOW FROM v_day)::integer = ANY (v_dows);
      -- Vixie: with both restricted, either matches; otherwise both (a * matches all)
      IF ((v_dom_star OR v_dow_star) AND v_dom_ok AND v_dow_ok)
         OR (NOT (v_dom_star OR v_dow_star) AND (v_dom_ok OR v_dow_ok)) THEN
        FOREACH v_h IN ARRAY v_hours LOOP
          CONTINUE WHEN v_day + pg_catalog.make_interval(hours => v_h, mins => 59) < v_floor;
          FOREACH v_m IN ARRAY v_minutes LOOP
            v_cand := v_day + pg_catalog.make_interval(hours => v_h, mins => v_m);
            CONTINUE WHEN v_cand < v_floor;
            v_at := queue.local_to_utc(v_cand, p_zone);
            IF v_at > p_after THEN
              RETURN v_at;
            END IF;
          END LOOP;
        END LOOP;
      END IF;
    END IF;
    v_day := v_day + 1;
  END LOOP;
  RETURN NULL;
END
$fn$;

-- queue.fire_times: every fire instant in [p_from, p_until) (for psql, the README, tests).
CREATE OR REPLACE FUNCTION queue.fire_times(p_cron text, p_zone text, p_from timestamptz,
                                            p_until timestamptz)
RETURNS SETOF timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_at timestamptz := queue.next_fire(p_cron, p_zone, p_from - interval '1 microsecond');
BEGIN
  WHILE v_at IS NOT NULL AND v_at < p_until LOOP
    RETURN NEXT v_at;
    v_at := queue.next_fire(p_cron, p_zone, v_at);
  END LOOP;
END
$fn$;
